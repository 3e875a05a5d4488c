import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

/**
 * Okabe–Ito colours, told apart by people with the common colour-vision deficiencies (its yellow
 * is left out: too pale on white). Series past the palette repeat it with a dashed line.
 */
export const SERIES_COLOURS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000'];

export interface ChartSeries {
  label: string;
  points: { x: number; y: number }[];
}

const HEIGHT = 220;

/** Several curves on one uPlot chart (x: step), with the legend uPlot draws; as wide as its container. */
export function RunsChart({ series, xLabel, yLabel }: { series: ChartSeries[]; xLabel: string; yLabel: string }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el || series.length === 0) return;
    // uPlot needs one x axis for all series: join them on step, gaps where a run has no point.
    const data = uPlot.join(series.map((s) => [s.points.map((p) => p.x), s.points.map((p) => p.y)] as uPlot.AlignedData));
    const plot = new uPlot(
      {
        width: Math.max(200, el.clientWidth),
        height: HEIGHT,
        scales: { x: { time: false } },
        axes: [{ label: xLabel }, { label: yLabel }],
        series: [
          { label: xLabel },
          ...series.map((s, i) => ({
            label: s.label,
            stroke: SERIES_COLOURS[i % SERIES_COLOURS.length],
            width: 2,
            dash: i >= SERIES_COLOURS.length ? [6, 4] : undefined,
            spanGaps: true,
            // uPlot shows the points while they are few: a short run's lone point stays visible.
            points: { size: 6 },
          })),
        ],
      },
      data,
      el,
    );
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(200, el.clientWidth), height: HEIGHT }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [series, xLabel, yLabel]);
  return (
    <figure className="runs-chart">
      <div ref={box} />
      <figcaption className="visually-hidden">
        {yLabel} by {xLabel.toLowerCase()}: {series.map((s) => s.label).join(', ')}
      </figcaption>
    </figure>
  );
}
