import type { EvalLog } from '../../shared/training';
import { formatCount, formatPercent } from '../format';

/**
 * The validation evaluations of a run, one row each: the step after which it ran, the mean
 * validation loss (cross-entropy, comparable with the training loss) and the metrics. The
 * last row of a finished run is its final evaluation (step = total steps). `evalEvery`, when
 * known, says in the empty state when the first result comes.
 */
export function EvalTable({ evaluations, totalSteps, evalEvery }: { evaluations: EvalLog[]; totalSteps: number; evalEvery: number | null }) {
  if (evaluations.length === 0) {
    const when = evalEvery === null ? '' : evalEvery > 0 ? `: the validation set is evaluated every ${formatCount(evalEvery)} steps and at the end` : ': the validation set is evaluated at the end';
    return (
      <p className="muted small" data-testid="eval-table-empty">
        No validation result yet{when}.
      </p>
    );
  }
  const binary = evaluations.some((e) => e.mcc !== null);
  // The best accuracy is marked where it stands out (not when every evaluation scored the same).
  const accuracies = evaluations.map((e) => e.accuracy);
  const best = Math.max(...accuracies) > Math.min(...accuracies) ? Math.max(...accuracies) : null;
  return (
    <div className="eval-table">
      <h4>
        Validation set <span className="muted small">({formatCount(evaluations[0].count)} examples)</span>
      </h4>
      <div className="table-scroll">
        <table className="runs" data-testid="eval-table" data-steps={evaluations.map((e) => e.step).join(',')}>
          <thead>
            <tr>
              <th scope="col" className="num">
                After step
              </th>
              <th scope="col" className="num">
                Validation loss
              </th>
              <th scope="col" className="num">
                Accuracy
              </th>
              <th scope="col" className="num">
                Macro-F1
              </th>
              {binary && (
                <th scope="col" className="num">
                  MCC
                </th>
              )}
            </tr>
          </thead>
          <tbody>
            {evaluations.map((e, i) => (
              <tr key={`${e.step}-${i}`} data-testid="eval-row" data-step={e.step} data-loss={e.loss} data-accuracy={e.accuracy}>
                <td className="num">
                  {formatCount(e.step)}
                  {e.step === totalSteps && <span className="muted"> (final)</span>}
                </td>
                <td className="num">{e.loss.toFixed(4)}</td>
                <td className="num">
                  {formatPercent(e.accuracy)}
                  {e.accuracy === best && <span className="muted small"> best</span>}
                </td>
                <td className="num">{e.macroF1.toFixed(3)}</td>
                {binary && <td className="num">{e.mcc !== null ? e.mcc.toFixed(3) : '—'}</td>}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
