/**
 * FFN-dimension masks: per layer, a histogram of |mask| over its dimensions (shared bins across
 * layers), the part the plan removes hatched and the pruning threshold drawn as a line.
 */
import { useState } from 'react';
import type { MaskSnapshot } from '../../workers/protocol';
import { removedFfn, type ShownPlan } from '../state/explorer';
import { colourScale, extent, HatchDefs } from './colour';
import { FocusLine } from './FocusLine';

const BINS = 40;
const W = 360;
const H = 56;

export function FfnHistograms({ snapshot, shown }: { snapshot: MaskSnapshot; shown: ShownPlan }) {
  const masks = snapshot.scores.ffnMasks;
  const width = masks[0]?.length ?? 0;
  const removed = removedFfn(shown.plan, width);
  const [lo, hi] = extent(masks.flat().map(Math.abs));
  const colour = colourScale('viridis', lo, hi);
  const bin = (v: number) => Math.min(BINS - 1, Math.floor(((Math.abs(v) - lo) / (hi - lo || 1)) * BINS));
  const [focus, setFocus] = useState<string | null>(null);
  const verb = shown.kind === 'applied' ? 'pruned' : 'would be pruned';
  const total = removed.reduce((n, r) => n + r.length, 0);

  return (
    <figure className="ffn-histograms" data-tour="ffn-masks">
      <figcaption>
        <strong>FFN dimensions</strong>{' '}
        <span className="muted small">
          |mask| per dimension, counted in {BINS} bins; {total} of {masks.length * width} {verb} (hatched, left of the line)
        </span>
      </figcaption>
      <div data-testid="ffn-strips" data-step={snapshot.step} data-pruned-count={total} data-pruned-dims={JSON.stringify(removed)}>
        {masks.map((row, layer) => {
          const gone = new Set(removed[layer]);
          const kept = Array<number>(BINS).fill(0);
          const cut = Array<number>(BINS).fill(0);
          row.forEach((v, d) => (gone.has(d) ? cut : kept)[bin(v)]++);
          const most = Math.max(1, ...kept.map((k, i) => k + cut[i]));
          const threshold = gone.size ? Math.max(...[...gone].map((d) => Math.abs(row[d]))) : null;
          const thresholdX = threshold === null ? null : ((threshold - lo) / (hi - lo || 1)) * W;
          const text = `roberta.encoder.layer.${layer}.intermediate.dense: ${width} dimensions, |mask| ${extent(row.map(Math.abs))[0].toFixed(4)} to ${extent(row.map(Math.abs))[1].toFixed(4)}; ${gone.size} ${verb}${threshold !== null ? ` (up to ${threshold.toFixed(4)})` : ''}`;
          return (
            <div key={layer} className="ffn-row">
              <span className="axis-label">layer {layer}</span>
              <svg
                width={W}
                height={H}
                tabIndex={0}
                role="img"
                aria-label={text}
                onFocus={() => setFocus(text)}
                onBlur={() => setFocus(null)}
                onMouseEnter={() => setFocus(text)}
                onMouseLeave={() => setFocus(null)}
              >
                <title>{text}</title>
                <HatchDefs id={`hatch-ffn-${layer}`} />
                {kept.map((k, i) => {
                  const x = (i / BINS) * W;
                  const bw = W / BINS - 1;
                  const hk = (k / most) * (H - 4);
                  const hc = (cut[i] / most) * (H - 4);
                  const mid = lo + ((i + 0.5) / BINS) * (hi - lo);
                  return (
                    <g key={i}>
                      {k > 0 && <rect x={x} y={H - hk} width={bw} height={hk} fill={colour(mid)} />}
                      {cut[i] > 0 && (
                        <>
                          <rect x={x} y={H - hk - hc} width={bw} height={hc} fill="#bbb" />
                          <rect x={x} y={H - hk - hc} width={bw} height={hc} fill={`url(#hatch-ffn-${layer})`} />
                        </>
                      )}
                    </g>
                  );
                })}
                {thresholdX !== null && <line x1={thresholdX} x2={thresholdX} y1={0} y2={H} stroke="#b3261e" strokeWidth={2} />}
              </svg>
              <span className="small muted ffn-count">−{gone.size}</span>
            </div>
          );
        })}
      </div>
      <FocusLine text={focus} testId="ffn-focus" />
    </figure>
  );
}
