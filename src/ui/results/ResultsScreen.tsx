import { useLightPeft } from '../state/lightpeft';
import { useTrain } from '../state/train';
import { CompareRuns } from './CompareRuns';
import { ExportRun } from './ExportRun';
import { PruneResults } from './PruneResults';
import { TryIt } from './TryIt';

/** Results: before and after pruning, runs side by side, try the model, export the run. */
export function ResultsScreen() {
  // The finished run's outcome carries the pruned model's final metrics; while it trains, the live store's.
  const finished = useTrain((s) => s.result?.pruned ?? null);
  const live = useLightPeft((s) => s.pruned);
  const pruned = finished ?? live;
  return (
    <section className="panel results" aria-labelledby="results-heading" data-testid="results-panel" data-tour="results">
      <h2 id="results-heading">Results</h2>
      {pruned ? (
        <PruneResults pruned={pruned} />
      ) : (
        <p className="muted small" data-testid="prune-results-none">
          Train with Light-PEFT to see the model before and after pruning here.
        </p>
      )}
      <CompareRuns />
      <TryIt />
      <ExportRun />
    </section>
  );
}
