/**
 * The pruning explorer: ratios that re-plan at once on the shown snapshot (the masks views mark
 * the plan), the plan's predicted costs, and three actions on the running estimation — evaluate
 * the model masked at this plan, sweep the head ratio, and prune now.
 */
import { useEffect, useState } from 'react';
import type { PlanEvaluation, PruneOutcome } from '../../workers/protocol';
import type { PlanRatios } from '../../shared/pruning-plan';
import { Problem } from '../Problem';
import { formatPercent } from '../format';
import { toShown, useApp, type ShownError } from '../store';
import { shownPlan, useExplorer } from '../state/explorer';
import { shownSnapshot, useLightPeft } from '../state/lightpeft';
import { optionsFromForm, useTrain } from '../state/train';
import { RatioSliders } from './RatioSliders';
import { PredictedCosts } from './PredictedCosts';
import { SweepChart } from './SweepChart';

/** Validation examples an evaluation or each sweep point uses: a quick estimate, not the full set. */
const EVAL_LIMIT = 64;
const SWEEP_HEAD_RATIOS = [0, 0.25, 0.5, 0.75];

export function ExplorerScreen() {
  const runId = useLightPeft((s) => s.runId);
  const snapshot = useLightPeft((s) => shownSnapshot(s));
  const stage = useLightPeft((s) => s.stage);
  const pruned = useLightPeft((s) => s.pruned);
  const ratios = useExplorer((s) => s.ratios);
  const setRatios = useExplorer((s) => s.setRatios);
  const running = useTrain((s) => s.status === 'running');
  const [busy, setBusy] = useState<'evaluate' | 'sweep' | 'prune' | null>(null);
  const [evaluation, setEvaluation] = useState<PlanEvaluation | null>(null);
  const [sweep, setSweep] = useState<PlanEvaluation[]>([]);
  const [error, setError] = useState<ShownError | null>(null);

  // A new run: the sliders start from its ratios, and earlier measurements go.
  useEffect(() => {
    if (!runId) return;
    // The run started, so the form's ratios parsed and passed the worker's checks.
    const ratios = optionsFromForm(useTrain.getState().form).lightPeft?.ratios;
    if (ratios) setRatios(ratios);
    setEvaluation(null);
    setSweep([]);
    setError(null);
  }, [runId, setRatios]);

  const shown = snapshot && shownPlan(snapshot, ratios, pruned);
  const estimating = running && stage === 'estimating';
  const act = async <T,>(kind: NonNullable<typeof busy>, work: () => Promise<T>) => {
    const client = useApp.getState().client;
    if (!client || busy) return;
    setBusy(kind);
    setError(null);
    try {
      await work();
    } catch (e) {
      setError(toShown(e));
    } finally {
      setBusy(null);
    }
  };
  const client = () => useApp.getState().client!;
  const planRatios = (): PlanRatios => shown!.ratios;

  return (
    <section className="panel" aria-labelledby="explorer-heading" data-testid="explorer-panel" data-tour="explorer">
      <h2 id="explorer-heading">Pruning explorer</h2>
      {!shown || !snapshot ? (
        <p className="muted">The explorer works on a Light-PEFT run’s masks and scores: start one (the demo button above).</p>
      ) : (
        <>
          <p className="muted small">
            Move the ratios: the plan is made again at once from the masks and scores shown above, and the views mark what it removes.
            {estimating ? ' Pause the run to look at one moment; Prune now applies this plan and trains the pruned model.' : ''}
          </p>
          <RatioSliders disabled={pruned !== null} held={shown.held} />
          <PredictedCosts plan={shown.plan} />
          <div className="row">
            <button
              type="button"
              disabled={!estimating || busy !== null}
              onClick={() => void act('evaluate', async () => setEvaluation(await client().evaluatePlan(planRatios(), EVAL_LIMIT)))}
              data-testid="evaluate-plan"
            >
              {busy === 'evaluate' ? 'Evaluating…' : 'Evaluate at this ratio'}
            </button>
            <button
              type="button"
              className="secondary"
              disabled={!estimating || busy !== null}
              onClick={() =>
                void act('sweep', async () => {
                  setSweep([]);
                  const points = SWEEP_HEAD_RATIOS.map((head) => ({ ...planRatios(), head }));
                  await client().sweepPlans(points, ({ result }) => setSweep((s) => [...s, result]), EVAL_LIMIT);
                })
              }
              data-testid="sweep-run"
            >
              {busy === 'sweep' ? `Sweeping… ${sweep.length} of ${SWEEP_HEAD_RATIOS.length}` : 'Sweep the head ratio'}
            </button>
            <button type="button" className="danger" disabled={!estimating || busy !== null} onClick={() => void act('prune', async () => void (await client().pruneNow(planRatios())))} data-testid="prune-now">
              {busy === 'prune' ? 'Pruning…' : 'Prune now'}
            </button>
            {!estimating && !pruned && <span className="muted small">These work while a Light-PEFT run estimates its masks.</span>}
          </div>
          {evaluation && (
            <p className="small" data-testid="plan-evaluation" data-accuracy={evaluation.evaluation.accuracy}>
              Masked at heads {formatPercent(evaluation.ratios.head, 0)}, FFN {formatPercent(evaluation.ratios.ffn, 0)}: accuracy{' '}
              <strong>{formatPercent(evaluation.evaluation.accuracy)}</strong>, macro-F1 {evaluation.evaluation.macroF1.toFixed(3)} on the first{' '}
              {evaluation.examples} validation examples (nothing was pruned).
            </p>
          )}
          {sweep.length > 0 && <SweepChart results={sweep} />}
          {pruned && <PrunedShapes outcome={pruned} />}
          {error && <Problem error={error} testId="explorer-problem" />}
        </>
      )}
    </section>
  );
}

function PrunedShapes({ outcome }: { outcome: PruneOutcome }) {
  const { before, after } = outcome;
  return (
    <div className="pruned-shapes" data-testid="pruned-shapes" data-heads={JSON.stringify(after.shape.heads)} data-ffn={JSON.stringify(after.shape.ffn)} data-tour="pruned-shapes">
      <p className="status ok">
        <span className="dot" aria-hidden />
        <span>
          Pruned after step {outcome.step} ({outcome.trigger === 'now' ? 'Prune now' : 'end of estimation'}); the smaller model trains on.
        </span>
      </p>
      <table>
        <caption className="small">The model’s shape, layer by layer</caption>
        <thead>
          <tr>
            <th scope="col">Layer</th>
            <th scope="col">Heads</th>
            <th scope="col">FFN width</th>
          </tr>
        </thead>
        <tbody>
          {after.shape.heads.map((heads, layer) => (
            <tr key={layer}>
              <th scope="row">{layer}</th>
              <td>
                {heads} of {before.shape.heads[layer]}
              </td>
              <td>
                {after.shape.ffn[layer]} of {before.shape.ffn[layer]}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
