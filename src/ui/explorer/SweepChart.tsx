/** Validation accuracy against the head ratio, one point per sweep result as it arrives. */
import type { PlanEvaluation } from '../../workers/protocol';
import { LineChart } from '../charts/LineChart';

export function SweepChart({ results }: { results: PlanEvaluation[] }) {
  const points = [...results].sort((a, b) => a.ratios.head - b.ratios.head);
  return (
    <figure className="sweep-chart" data-testid="sweep-chart" data-points={points.length} data-tour="sweep-chart">
      <LineChart
        x={points.map((p) => p.ratios.head)}
        xLabel="share of heads removed"
        yLabel="accuracy"
        yRange={[0, 1]}
        height={180}
        series={[{ label: `accuracy on ${points[0]?.examples ?? 0} validation examples`, values: points.map((p) => p.evaluation.accuracy) }]}
      />
      <figcaption className="muted small">The model masked at each plan, without pruning it; the other ratios as set above.</figcaption>
    </figure>
  );
}
