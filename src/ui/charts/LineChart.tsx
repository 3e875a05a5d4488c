/**
 * A line chart through uPlot: a fixed-height canvas that fills its container's width, redrawn
 * in place when the data change (no layout shift), destroyed with the component. Series colours
 * come from SERIES_COLOURS (Okabe–Ito: told apart with the common colour-vision deficiencies);
 * uPlot draws the legend with the values under the cursor.
 */
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

/** Okabe & Ito's palette, without its yellow (too light on white). */
export const SERIES_COLOURS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#56B4E9', '#E69F00', '#000000'];

export interface LineSeries {
  label: string;
  /** y for each x (null: no point there). */
  values: (number | null)[];
  colour?: string;
  /** Draw points only (e.g. validation evaluations), no line. */
  pointsOnly?: boolean;
  dash?: number[];
  /** Which y axis: 'y' (left) or 'y2' (right). */
  scale?: 'y' | 'y2';
}

export interface LineChartProps {
  /** Shared x values, ascending. */
  x: number[];
  series: LineSeries[];
  xLabel: string;
  yLabel: string;
  y2Label?: string;
  height?: number;
  /** Fixed y range (e.g. [0, 1] for accuracy); default: fitted to the data. */
  yRange?: [number, number];
  /** Vertical marker lines (e.g. where a run was pruned or resumed), at these x values. */
  markers?: { x: number; label: string }[];
}

export function LineChart({ x, series, xLabel, yLabel, y2Label, height = 220, yRange, markers = [] }: LineChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const shape = `${series.map((s) => `${s.label}|${s.scale ?? 'y'}|${s.pointsOnly ? 1 : 0}`).join(',')}|${yRange?.join(':') ?? ''}|${height}`;
  const markersRef = useRef(markers);
  markersRef.current = markers;

  // (Re)built when the series' shape changes; data updates go through setData below.
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const options: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height,
      scales: { x: { time: false }, y: yRange ? { range: yRange } : {}, y2: {} },
      axes: [
        { label: xLabel, stroke: '#5b6661' },
        { label: yLabel, stroke: '#5b6661', scale: 'y' },
        ...(series.some((s) => s.scale === 'y2') ? [{ label: y2Label ?? '', side: 1, stroke: '#5b6661', scale: 'y2', grid: { show: false } } satisfies uPlot.Axis] : []),
      ],
      series: [
        { label: xLabel },
        ...series.map((s, i) => ({
          label: s.label,
          scale: s.scale ?? 'y',
          stroke: s.colour ?? SERIES_COLOURS[i % SERIES_COLOURS.length],
          width: s.pointsOnly ? 0 : 2,
          dash: s.dash,
          spanGaps: !s.pointsOnly,
          // Lines show their points while they are few (uPlot's default), so a first lone point is seen.
          points: s.pointsOnly ? { show: true, size: 8, fill: s.colour ?? SERIES_COLOURS[i % SERIES_COLOURS.length] } : { size: 6 },
        })),
      ],
      hooks: {
        draw: [
          (u: uPlot) => {
            const ctx = u.ctx;
            ctx.save();
            ctx.strokeStyle = '#5b6661';
            ctx.setLineDash([4, 4]);
            for (const m of markersRef.current) {
              const px = u.valToPos(m.x, 'x', true);
              ctx.beginPath();
              ctx.moveTo(px, u.bbox.top);
              ctx.lineTo(px, u.bbox.top + u.bbox.height);
              ctx.stroke();
            }
            ctx.restore();
          },
        ],
      },
    };
    const p = new uPlot(options, [[], ...series.map(() => [])] as uPlot.AlignedData, el);
    plot.current = p;
    const resize = new ResizeObserver(() => p.setSize({ width: Math.max(200, el.clientWidth), height }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      p.destroy();
      plot.current = null;
    };
  }, [shape]);

  useEffect(() => {
    plot.current?.setData([x, ...series.map((s) => s.values)] as uPlot.AlignedData);
  });

  return <div ref={box} className="line-chart" style={{ minHeight: height + 40 }} />;
}
