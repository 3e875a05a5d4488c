/** The four pruning ratios as sliders and the head/FFN scopes; the plan follows them at once. */
import type { PlanRatios, Scope } from '../../shared/pruning-plan';
import { formatPercent } from '../format';
import { useExplorer } from '../state/explorer';

const SLIDERS: { key: 'head' | 'ffn' | 'module' | 'rank'; label: string; says: string; scope?: 'headScope' | 'ffnScope' }[] = [
  { key: 'head', label: 'Heads', says: 'attention heads removed', scope: 'headScope' },
  { key: 'ffn', label: 'FFN dimensions', says: 'FFN width removed', scope: 'ffnScope' },
  { key: 'module', label: 'LoRA modules', says: 'dropped by Importance Ratio' },
  { key: 'rank', label: 'Ranks', says: 'of the kept modules, by Taylor score' },
];

export function RatioSliders({ disabled, held }: { disabled: boolean; held: string | null }) {
  const ratios = useExplorer((s) => s.ratios);
  const setRatios = useExplorer((s) => s.setRatios);
  return (
    <div className="ratio-sliders" data-tour="ratio-sliders">
      {SLIDERS.map((s) => (
        <div key={s.key} className="ratio-row">
          <label className="ratio-label" htmlFor={`ratio-${s.key}`}>
            {s.label} <span className="muted small">{s.says}</span>
          </label>
          <input
            id={`ratio-${s.key}`}
            type="range"
            min={0}
            max={1}
            step={0.01}
            value={ratios[s.key]}
            disabled={disabled}
            onChange={(event) => setRatios({ [s.key]: Number(event.target.value) } as Partial<PlanRatios>)}
            aria-valuetext={formatPercent(ratios[s.key], 0)}
            data-testid={`ratio-${s.key}`}
          />
          <output className="ratio-value" htmlFor={`ratio-${s.key}`}>
            {formatPercent(ratios[s.key], 0)}
          </output>
          {s.scope ? (
            <select value={ratios[s.scope]} disabled={disabled} onChange={(event) => setRatios({ [s.scope!]: event.target.value as Scope })} aria-label={`${s.label}: counted per layer or across layers`} data-testid={`scope-${s.key}`}>
              <option value="layer">in each layer</option>
              <option value="global">across layers</option>
            </select>
          ) : (
            <span />
          )}
        </div>
      ))}
      {held && (
        <p className="note small" data-testid="ratios-held">
          {held}
        </p>
      )}
    </div>
  );
}
