/**
 * LoRA (or adapter) modules as a layer × target grid of Importance Ratios (cividis), the modules
 * the plan drops hatched; and per surviving module a bar per rank of its Taylor scores, the ranks
 * the plan removes hatched. Before the second half of estimation there are no scores yet.
 */
import { useState } from 'react';
import type { MaskSnapshot } from '../../workers/protocol';
import type { ShownPlan } from '../state/explorer';
import { colourScale, extent, HatchDefs, Legend } from './colour';
import { FocusLine } from './FocusLine';

const CELL_W = 76;
const CELL_H = 30;
const LEFT = 64;
const TOP = 20;

/** "roberta.encoder.layer.3.attention.self.query" → layer 3, target "attention.self.query". */
function place(module: string): { layer: number; target: string } {
  const match = /layer\.(\d+)\.(.+)$/.exec(module);
  return match ? { layer: Number(match[1]), target: match[2] } : { layer: 0, target: module };
}

const SHORT: Record<string, string> = {
  'attention.self.query': 'query',
  'attention.self.key': 'key',
  'attention.self.value': 'value',
  'attention.output.dense': 'attn out',
  'intermediate.dense': 'FFN in',
  'output.dense': 'FFN out',
};

export function ModuleGrid({ snapshot, shown }: { snapshot: MaskSnapshot; shown: ShownPlan }) {
  const modules = snapshot.scores.modules;
  const [focus, setFocus] = useState<string | null>(null);
  if (modules.length === 0) return null;
  const scored = snapshot.scoredSteps > 0;
  const targets = [...new Set(modules.map((m) => place(m.module).target))];
  const layers = Math.max(...modules.map((m) => place(m.module).layer)) + 1;
  const [lo, hi] = extent(modules.map((m) => m.importance));
  const colour = colourScale('cividis', lo, hi);
  const dropped = new Set(shown.plan.removedModules);
  const verb = shown.kind === 'applied' ? 'dropped' : 'would be dropped';
  const hover = (text: string) => ({ onFocus: () => setFocus(text), onBlur: () => setFocus(null), onMouseEnter: () => setFocus(text), onMouseLeave: () => setFocus(null) });

  return (
    <figure className="module-grid" data-tour="module-grid">
      <figcaption>
        <strong>LoRA modules</strong>{' '}
        <span className="muted small">
          {scored ? `Importance Ratio, averaged over ${snapshot.scoredSteps} steps; ${dropped.size} of ${modules.length} ${verb}` : `scores start at step ${snapshot.scoreFrom + 1} (the second half of estimation)`}
        </span>
      </figcaption>
      <svg width={LEFT + targets.length * (CELL_W + 4)} height={TOP + layers * (CELL_H + 4)} role="group" aria-label="Importance Ratio per module" data-testid="module-grid" data-dropped={JSON.stringify([...dropped])}>
        <HatchDefs id="hatch-modules" />
        {targets.map((t, i) => (
          <text key={t} x={LEFT + i * (CELL_W + 4) + CELL_W / 2} y={13} textAnchor="middle" className="axis-label">
            {SHORT[t] ?? t}
          </text>
        ))}
        {Array.from({ length: layers }, (_, layer) => (
          <text key={layer} x={LEFT - 8} y={TOP + layer * (CELL_H + 4) + CELL_H / 2 + 4} textAnchor="end" className="axis-label">
            layer {layer}
          </text>
        ))}
        {modules.map((m) => {
          const { layer, target } = place(m.module);
          const x = LEFT + targets.indexOf(target) * (CELL_W + 4);
          const y = TOP + layer * (CELL_H + 4);
          const gone = dropped.has(m.module);
          const text = `${m.module}: Importance Ratio ${scored ? m.importance.toPrecision(4) : 'not scored yet'}${gone ? ` — ${verb}` : ''}`;
          return (
            <g key={m.module} tabIndex={0} role="img" aria-label={text} className="cell" {...hover(text)}>
              <title>{text}</title>
              <rect x={x} y={y} width={CELL_W} height={CELL_H} rx={3} fill={scored ? colour(m.importance) : '#e4e4de'} />
              {gone && <rect x={x + 1} y={y + 1} width={CELL_W - 2} height={CELL_H - 2} rx={3} fill="url(#hatch-modules)" stroke="#1d2421" strokeWidth={2} />}
            </g>
          );
        })}
      </svg>
      {scored && <Legend palette="cividis" lo={lo} hi={hi} label="Importance Ratio" removedLabel={verb} />}
      <RankBars snapshot={snapshot} shown={shown} hover={hover} />
      <FocusLine text={focus} testId="module-focus" />
    </figure>
  );
}

function RankBars({ snapshot, shown, hover }: { snapshot: MaskSnapshot; shown: ShownPlan; hover: (text: string) => object }) {
  if (snapshot.scoredSteps === 0) return null;
  const kept = new Map(shown.plan.keptModules.map((k) => [k.module, k]));
  const survivors = snapshot.scores.modules.filter((m) => kept.has(m.module));
  const most = Math.max(1e-12, ...survivors.flatMap((m) => m.rankScores.map(Math.abs)));
  const removedCount = shown.plan.keptModules.reduce((n, k) => n + k.removedRanks.length, 0);
  return (
    <div className="rank-bars" data-testid="rank-bars" data-removed-ranks={removedCount} data-tour="rank-bars">
      <p className="small">
        <strong>Ranks of the kept modules</strong> <span className="muted">Taylor score per rank; {removedCount} ranks {shown.kind === 'applied' ? 'removed' : 'would be removed'} (hatched)</span>
      </p>
      <div className="rank-grid">
        {survivors.map((m) => {
          const removed = new Set(kept.get(m.module)!.removedRanks);
          const bw = 8;
          const hatch = `hatch-rank-${m.module.replace(/[^A-Za-z0-9]/g, '-')}`;
          return (
            <svg key={m.module} width={m.rankScores.length * (bw + 2) + 2} height={34} role="group" aria-label={`${m.module} ranks`}>
              <HatchDefs id={hatch} />
              {m.rankScores.map((score, r) => {
                const h = Math.max(1, (Math.abs(score) / most) * 30);
                const text = `${m.module}, rank ${r}: Taylor score ${score.toPrecision(4)}${removed.has(r) ? ' — removed by the plan' : ''}`;
                return (
                  <g key={r} tabIndex={0} role="img" aria-label={text} {...hover(text)}>
                    <title>{text}</title>
                    <rect x={1 + r * (bw + 2)} y={32 - h} width={bw} height={h} fill={removed.has(r) ? '#bbb' : '#0072B2'} />
                    {removed.has(r) && <rect x={1 + r * (bw + 2)} y={32 - h} width={bw} height={h} fill={`url(#${hatch})`} />}
                  </g>
                );
              })}
            </svg>
          );
        })}
      </div>
    </div>
  );
}
