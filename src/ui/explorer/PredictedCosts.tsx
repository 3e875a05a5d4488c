/** What the plan predicts against the unpruned model: parameters, FLOPs per token, weight memory. */
import type { PruningPlan } from '../../shared/pruning-plan';
import { formatBytes, formatCount, formatPercent } from '../format';

export function PredictedCosts({ plan }: { plan: PruningPlan }) {
  const { before, after } = plan.predicted;
  const rows: { id: string; label: string; before: number; after: number; show: (n: number) => string }[] = [
    { id: 'predicted-base-params', label: 'Base parameters', before: before.baseParams, after: after.baseParams, show: formatCount },
    { id: 'predicted-trainable-params', label: 'Trainable parameters', before: before.trainableParams, after: after.trainableParams, show: formatCount },
    { id: 'predicted-flops', label: 'FLOPs per token (linear layers)', before: before.flopsPerToken, after: after.flopsPerToken, show: formatCount },
    { id: 'predicted-gpu-bytes', label: 'Weight memory (f32)', before: before.weightBytes, after: after.weightBytes, show: formatBytes },
  ];
  return (
    <table className="predicted" data-tour="predicted-costs">
      <caption className="small">Predicted by the plan, against the unpruned model</caption>
      <thead>
        <tr>
          <th scope="col">Figure</th>
          <th scope="col">Unpruned</th>
          <th scope="col">Pruned</th>
          <th scope="col">Change</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.id} data-testid={r.id} data-value={r.after} data-before={r.before}>
            <th scope="row">{r.label}</th>
            <td>{r.show(r.before)}</td>
            <td>{r.show(r.after)}</td>
            <td>{r.before > 0 ? `−${formatPercent(1 - r.after / r.before)}` : '—'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
