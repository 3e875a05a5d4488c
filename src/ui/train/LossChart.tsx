import type { EvalLog, StepLog } from '../../shared/training';
import { LineChart } from '../charts/LineChart';

/**
 * The training loss against the step (the task's cross-entropy: Light-PEFT's estimation also
 * trains on an L1 term, left out here so the phases compare), with the validation loss and accuracy of each evaluation
 * as points (accuracy on the right axis); dashed lines mark where a resumed run continued from
 * its checkpoint and where a Light-PEFT run was pruned.
 */
export function LossChart({ curve, evaluations = [], totalSteps, resumedFrom, prunedAt = null }: { curve: StepLog[]; evaluations?: EvalLog[]; totalSteps: number; resumedFrom: number | null; prunedAt?: number | null }) {
  const finite = curve.filter((p) => Number.isFinite(p.loss));
  const validation = evaluations.filter((e) => Number.isFinite(e.loss));
  const x = [...new Set([0, ...finite.map((p) => p.step), ...validation.map((e) => e.step), totalSteps])].sort((a, b) => a - b);
  const at = <T extends { step: number }>(points: T[], value: (p: T) => number) => {
    const byStep = new Map(points.map((p) => [p.step, value(p)]));
    return x.map((step) => byStep.get(step) ?? null);
  };
  const markers = [...(resumedFrom !== null ? [{ x: resumedFrom, label: 'resumed' }] : []), ...(prunedAt !== null ? [{ x: prunedAt, label: 'pruned' }] : [])];
  const label = `Training loss over ${finite.length} points${validation.length ? ` and ${validation.length} validation evaluations` : ''}${resumedFrom !== null ? `; resumed at step ${resumedFrom}` : ''}${prunedAt !== null ? `; pruned after step ${prunedAt}` : ''}.`;
  return (
    <figure
      className="loss-chart"
      aria-label={label}
      data-testid="loss-chart"
      data-steps={finite.map((p) => p.step).join(',')}
      data-eval-steps={validation.map((e) => e.step).join(',')}
      data-resumed-from={resumedFrom ?? ''}
      data-pruned-at={prunedAt ?? ''}
    >
      <LineChart
        x={x}
        xLabel="step"
        yLabel="loss"
        y2Label="validation accuracy"
        markers={markers}
        series={[
          { label: 'training loss (task)', values: at(finite, (p) => p.taskLoss ?? p.loss) },
          { label: 'validation loss', values: at(validation, (e) => e.loss), pointsOnly: true },
          { label: 'validation accuracy', values: at(validation, (e) => e.accuracy), pointsOnly: true, scale: 'y2' },
        ]}
      />
      <figcaption className="muted small">{label}</figcaption>
    </figure>
  );
}
