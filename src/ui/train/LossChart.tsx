import type { EvalLog, StepLog } from '../../shared/training';

const WIDTH = 640;
const HEIGHT = 200;
const PAD = { left: 52, right: 14, top: 12, bottom: 30 };

/** Round tick values for an axis, about `count` of them inside [lo, hi], and the decimals they need. */
function ticks(lo: number, hi: number, count: number): { values: number[]; digits: number } {
  if (!(hi > lo)) return { values: [lo], digits: 2 };
  const raw = (hi - lo) / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const multiple = [1, 2, 2.5, 5, 10].find((m) => m * magnitude >= raw) ?? 10;
  const step = multiple * magnitude;
  const values: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) values.push(Number(v.toPrecision(12)));
  const digits = Math.min(8, Math.max(0, -Math.floor(Math.log10(step)) + (multiple === 2.5 ? 1 : 0)));
  return { values, digits };
}

const formatLoss = (v: number) => (v >= 10 ? v.toFixed(1) : v >= 1 ? v.toFixed(3) : v.toPrecision(3));

/**
 * The training loss against the step, as an inline SVG line chart, with the validation loss of
 * each evaluation as a square (the same cross-entropy, on the validation set): the x axis spans
 * the whole run, and a dashed line marks where a resumed run continued from its checkpoint.
 */
export function LossChart({ curve, evaluations = [], totalSteps, resumedFrom }: { curve: StepLog[]; evaluations?: EvalLog[]; totalSteps: number; resumedFrom: number | null }) {
  const finite = curve.filter((p) => Number.isFinite(p.loss));
  const validation = evaluations.filter((e) => Number.isFinite(e.loss));
  const losses = [...finite.map((p) => p.loss), ...validation.map((e) => e.loss)];
  let lo = losses.length ? Math.min(...losses) : 0;
  let hi = losses.length ? Math.max(...losses) : 1;
  if (hi - lo < 1e-6) {
    lo -= 0.05 * Math.abs(lo || 1);
    hi += 0.05 * Math.abs(hi || 1);
  }
  const margin = (hi - lo) * 0.08;
  lo = Math.max(0, lo - margin);
  hi += margin;
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const x = (step: number) => PAD.left + (plotW * step) / Math.max(1, totalSteps);
  const y = (loss: number) => PAD.top + plotH * (1 - (loss - lo) / (hi - lo));
  const path = finite.map((p, i) => `${i ? 'L' : 'M'}${x(p.step).toFixed(1)},${y(p.loss).toFixed(1)}`).join(' ');
  const first = finite[0];
  const last = finite.at(-1);
  const yTicks = ticks(lo, hi, 4);
  const lastValidation = validation.at(-1);
  const label =
    (last ? `Training loss: ${formatLoss(first!.loss)} at step ${first!.step}, ${formatLoss(last.loss)} at step ${last.step} of ${totalSteps}` : 'Training loss: no points yet') +
    (lastValidation ? `. Validation loss: ${formatLoss(lastValidation.loss)} at step ${lastValidation.step} (${validation.length} evaluation${validation.length === 1 ? '' : 's'})` : '');
  const square = 3.5;

  return (
    <figure className="loss-chart">
      <figcaption>
        <span className="legend train">Training loss</span>
        {validation.length > 0 && <span className="legend validation">Validation loss</span>}
      </figcaption>
      <svg
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        role="img"
        aria-label={label}
        data-testid="loss-chart"
        data-steps={finite.map((p) => p.step).join(',')}
        data-eval-steps={validation.map((e) => e.step).join(',')}
        data-resumed-from={resumedFrom ?? ''}
      >
        {yTicks.values.map((v) => (
          <g key={`y${v}`} className="tick">
            <line x1={PAD.left} x2={WIDTH - PAD.right} y1={y(v)} y2={y(v)} />
            <text x={PAD.left - 6} y={y(v)} dy="0.32em" textAnchor="end">
              {v.toFixed(yTicks.digits)}
            </text>
          </g>
        ))}
        {ticks(0, totalSteps, 6)
          .values.filter((v) => Number.isInteger(v))
          .map((v) => (
            <text key={`x${v}`} className="tick" x={x(v)} y={HEIGHT - PAD.bottom + 16} textAnchor="middle">
              {v}
            </text>
          ))}
        <text className="axis-label" x={WIDTH - PAD.right} y={HEIGHT - 2} textAnchor="end">
          step
        </text>
        <line className="axis" x1={PAD.left} x2={WIDTH - PAD.right} y1={PAD.top + plotH} y2={PAD.top + plotH} />
        {resumedFrom !== null && resumedFrom > 0 && (
          <g className="resumed">
            <line x1={x(resumedFrom)} x2={x(resumedFrom)} y1={PAD.top} y2={PAD.top + plotH} />
            <text x={x(resumedFrom) + 4} y={PAD.top + 10}>
              resumed at {resumedFrom}
            </text>
          </g>
        )}
        {path && <path className="line" d={path} />}
        {finite.length <= 60 && finite.map((p) => <circle key={p.step} className="point" cx={x(p.step)} cy={y(p.loss)} r={2.5} />)}
        {validation.map((e) => (
          <rect key={`v${e.step}`} className="validation-point" x={x(e.step) - square} y={y(e.loss) - square} width={2 * square} height={2 * square}>
            <title>{`validation loss ${formatLoss(e.loss)}, accuracy ${(e.accuracy * 100).toFixed(1)}% after step ${e.step}`}</title>
          </rect>
        ))}
        {!last && (
          <text className="tick" x={PAD.left + plotW / 2} y={PAD.top + plotH / 2} textAnchor="middle">
            The first loss is read back after a few steps…
          </text>
        )}
      </svg>
    </figure>
  );
}
