/**
 * Colour scales of the masks views and their legend: viridis for mask magnitudes, cividis for
 * Importance Ratios and rank scores — both readable with the common colour-vision deficiencies and
 * in grey. Removed parts are also hatched, so the marking never rests on colour alone.
 */
import { scaleSequential } from 'd3-scale';
import { interpolateCividis, interpolateViridis } from 'd3-scale-chromatic';

export type Palette = 'viridis' | 'cividis';

export function colourScale(palette: Palette, lo: number, hi: number): (v: number) => string {
  const scale = scaleSequential(palette === 'viridis' ? interpolateViridis : interpolateCividis).domain([lo, hi > lo ? hi : lo + 1e-6]);
  return (v) => scale(v);
}

/** Min and max of finite values (0..1 when there are none). */
export function extent(values: number[]): [number, number] {
  const finite = values.filter(Number.isFinite);
  return finite.length ? [Math.min(...finite), Math.max(...finite)] : [0, 1];
}

/** The SVG pattern that marks removed cells; put <HatchDefs /> once in each SVG that uses url(#hatch). */
export function HatchDefs({ id = 'hatch' }: { id?: string }) {
  return (
    <defs>
      <pattern id={id} width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
        <rect width="6" height="6" fill="rgba(255,255,255,0.55)" />
        <line x1="0" y1="0" x2="0" y2="6" stroke="#1d2421" strokeWidth="2" />
      </pattern>
    </defs>
  );
}

export function Legend({ palette, lo, hi, label, removedLabel }: { palette: Palette; lo: number; hi: number; label: string; removedLabel?: string }) {
  const colour = colourScale(palette, lo, hi);
  const stops = Array.from({ length: 11 }, (_, i) => lo + ((hi - lo) * i) / 10);
  const id = `legend-${palette}`;
  return (
    <div className="legend small" aria-label={`${label}: from ${lo.toFixed(3)} to ${hi.toFixed(3)}`}>
      <span>{label}</span>
      <svg width="160" height="14" aria-hidden>
        <defs>
          <linearGradient id={id}>
            {stops.map((v, i) => (
              <stop key={i} offset={`${i * 10}%`} stopColor={colour(v)} />
            ))}
          </linearGradient>
        </defs>
        <rect width="160" height="14" fill={`url(#${id})`} />
      </svg>
      <span className="legend-ends">
        {lo.toFixed(3)} – {hi.toFixed(3)}
      </span>
      {removedLabel && (
        <span className="legend-removed">
          <svg width="14" height="14" aria-hidden>
            <HatchDefs id={`${id}-hatch`} />
            <rect width="14" height="14" fill="#bbb" />
            <rect width="14" height="14" fill={`url(#${id}-hatch)`} stroke="#1d2421" strokeWidth="2" />
          </svg>{' '}
          {removedLabel}
        </span>
      )}
    </div>
  );
}
