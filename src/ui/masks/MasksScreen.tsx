/**
 * Light-PEFT, live: the masks and scores of the run as its snapshots arrive (or as played back),
 * with what the explorer's plan would remove — or, once pruned, what was removed — marked.
 */
import { useExplorer, shownPlan } from '../state/explorer';
import { shownSnapshot, useLightPeft } from '../state/lightpeft';
import { FfnHistograms } from './FfnHistograms';
import { HeadHeatmap } from './HeadHeatmap';
import { ModuleGrid } from './ModuleGrid';
import { Playback } from './Playback';
import { useThrottled } from './use-throttled';

export function MasksScreen() {
  const latest = useLightPeft((s) => shownSnapshot(s));
  const pruned = useLightPeft((s) => s.pruned);
  const ratios = useExplorer((s) => s.ratios);
  const snapshot = useThrottled(latest);
  const shown = snapshot && shownPlan(snapshot, ratios, pruned);

  return (
    <section className="panel" aria-labelledby="masks-heading" data-testid="masks-panel" data-tour="masks" data-has-snapshot={String(snapshot !== null)}>
      <h2 id="masks-heading">Masks, live</h2>
      {!snapshot || !shown ? (
        <p className="muted">Start a Light-PEFT run (the demo button above) to watch which heads, FFN dimensions, modules and ranks the task needs.</p>
      ) : (
        <>
          <p className="muted small">
            {shown.kind === 'applied'
              ? `Pruned after step ${pruned!.step}: the marked parts were removed; the views show the scores the plan was made from.`
              : `Step ${snapshot.step} of ${snapshot.budgets.estimation} estimation steps. Marked: what pruning now at the explorer’s ratios would remove.`}
          </p>
          <Playback />
          <div className="masks-grid">
            <HeadHeatmap snapshot={snapshot} shown={shown} />
            <FfnHistograms snapshot={snapshot} shown={shown} />
          </div>
          <ModuleGrid snapshot={snapshot} shown={shown} />
        </>
      )}
    </section>
  );
}
