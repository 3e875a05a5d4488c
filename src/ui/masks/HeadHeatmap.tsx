/**
 * Head masks as a layers × heads heatmap: colour = |mask| (viridis), the heads the plan removes
 * hatched and outlined. Each cell is focusable; hover or focus shows its exact value and HF name.
 */
import { useState } from 'react';
import type { MaskSnapshot } from '../../workers/protocol';
import { removedHeads, type ShownPlan } from '../state/explorer';
import { colourScale, extent, HatchDefs, Legend } from './colour';
import { FocusLine } from './FocusLine';

const CELL = 44;
const GAP = 4;
const LEFT = 70;
const TOP = 22;

export function HeadHeatmap({ snapshot, shown }: { snapshot: MaskSnapshot; shown: ShownPlan }) {
  const masks = snapshot.scores.headMasks;
  const heads = masks[0]?.length ?? 0;
  const [lo, hi] = extent(masks.flat().map(Math.abs));
  const colour = colourScale('viridis', lo, hi);
  const removed = removedHeads(shown.plan, heads);
  const isRemoved = new Set(removed.map(([l, h]) => `${l}:${h}`));
  const [focus, setFocus] = useState<string | null>(null);
  const verb = shown.kind === 'applied' ? 'pruned' : 'would be pruned';
  const describe = (layer: number, head: number) => `roberta.encoder.layer.${layer}.attention.self, head ${head}: mask ${masks[layer][head].toFixed(4)}${isRemoved.has(`${layer}:${head}`) ? ` — ${verb}` : ''}`;
  const width = LEFT + heads * (CELL + GAP);
  const height = TOP + masks.length * (CELL + GAP);

  return (
    <figure className="head-heatmap" data-tour="head-heatmap">
      <figcaption>
        <strong>Attention heads</strong> <span className="muted small">mask value per head; {removed.length} of {masks.length * heads} {verb}</span>
      </figcaption>
      <svg
        width={width}
        height={height}
        role="group"
        aria-label={`Head masks, ${masks.length} layers × ${heads} heads at step ${snapshot.step}`}
        data-testid="head-heatmap"
        data-step={snapshot.step}
        data-pruned-cells={JSON.stringify(removed)}
        data-values={JSON.stringify(masks.map((l) => l.map((v) => Number(v.toFixed(6)))))}
      >
        <HatchDefs />
        {Array.from({ length: heads }, (_, h) => (
          <text key={h} x={LEFT + h * (CELL + GAP) + CELL / 2} y={14} textAnchor="middle" className="axis-label">
            head {h}
          </text>
        ))}
        {masks.map((row, layer) => (
          <g key={layer}>
            <text x={LEFT - 8} y={TOP + layer * (CELL + GAP) + CELL / 2 + 4} textAnchor="end" className="axis-label">
              layer {layer}
            </text>
            {row.map((value, head) => {
              const x = LEFT + head * (CELL + GAP);
              const y = TOP + layer * (CELL + GAP);
              const gone = isRemoved.has(`${layer}:${head}`);
              const text = describe(layer, head);
              return (
                <g
                  key={head}
                  tabIndex={0}
                  role="img"
                  aria-label={text}
                  className="cell"
                  onFocus={() => setFocus(text)}
                  onBlur={() => setFocus(null)}
                  onMouseEnter={() => setFocus(text)}
                  onMouseLeave={() => setFocus(null)}
                >
                  <title>{text}</title>
                  <rect x={x} y={y} width={CELL} height={CELL} rx={4} fill={colour(Math.abs(value))} />
                  {gone && <rect x={x + 1} y={y + 1} width={CELL - 2} height={CELL - 2} rx={4} fill="url(#hatch)" stroke="#1d2421" strokeWidth={2} />}
                  <text x={x + CELL / 2} y={y + CELL / 2 + 4} textAnchor="middle" className={`cell-value ${Math.abs(value) > (lo + hi) / 2 ? 'dark' : 'light'}`}>
                    {value.toFixed(2)}
                  </text>
                </g>
              );
            })}
          </g>
        ))}
      </svg>
      <Legend palette="viridis" lo={lo} hi={hi} label="|mask|" removedLabel={verb} />
      <FocusLine text={focus} testId="head-focus" />
    </figure>
  );
}
