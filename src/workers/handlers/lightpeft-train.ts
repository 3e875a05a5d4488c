/**
 * A Light-PEFT run in the worker, through the engine's LightPeftRun: the masks and scores are read
 * back in one batch every `snapshotEvery` estimation steps (and at each stage change and pause) and
 * posted to the page; at the end of the estimation budget, or when the person presses Prune now,
 * the model is measured, pruned, measured again, and the pruned model trains. Requests that act
 * on the run (prune now, evaluate a plan) run between two steps, through the run's RunControl.
 * Checkpoints go to IndexedDB as for a plain run; a resumed run is pruned again with its plan.
 */
import type { RunRecord, StoredTensor } from '../../engine/train/checkpoint-store';
import { lightPeftSettingsOf, type LightPeftOptions, type TrainOptions } from '../../engine/train/run-options';
import { runCurvesOf, runSettingsOf, totalStepsOf, type RunCurves } from '../../engine/train/run-record';
import type { TrainingRun } from '../../engine/train/run';
import type { EvalLog } from '../../engine/train/trainer';
import type { RobertaModel } from '../../engine/model/roberta';
import { LightPeftRun, type LightPeftState } from '../../engine/lightpeft/run';
import { timeInference } from '../../engine/lightpeft/inference-time';
import { errorCodeOf, NotReadyError, SettingError } from '../../errors';
import { SNAPSHOT_HISTORY, type LightPeftStage, type MaskSnapshot, type ModelMeasure, type PruneOutcome } from '../../shared/light-peft';
import type { PlanRatios, PruningPlan } from '../../shared/pruning-plan';
import type { PlanEvaluation, TrainResult } from '../protocol';
import type { ActiveTraining, Session } from '../session';
import { markFailed } from './runs';
import { examplesFor, modelFor, unusableCheckpoint } from './train-inputs';
import { finishRun, metricsOf, nextTask, useTrainedModel } from './run-common';
import { RunReporter } from './run-reporter';
import type { TrainProgressReporter } from './train-progress';

type LightPeftTrainOptions = TrainOptions & { lightPeft: LightPeftOptions };

export async function trainLightPeft(
  session: Session,
  run: RunRecord,
  checkpoint: Map<string, StoredTensor> | null,
  report: TrainProgressReporter,
  onSnapshot: (snapshot: MaskSnapshot) => void,
  active: ActiveTraining,
): Promise<TrainResult> {
  const settings = runSettingsOf(run)!;
  const options = settings.options as LightPeftTrainOptions;
  const phases = lightPeftSettingsOf(options);
  const loaded = session.model!;
  const tokenizer = loaded.tokenizer!;
  const ctx = await session.gpu();
  const earlier = runCurvesOf(run);
  const control = active.control;
  const reporter = new RunReporter(session, ctx, await session.checkpoints(), { ...run, settings }, earlier, totalStepsOf(settings, earlier), control, report);
  reporter.stage = earlier.pruned ? 'training' : 'estimating';
  reporter.pruned = earlier.pruned ?? null;
  reporter.post();

  const examples = examplesFor(loaded, session.data!);
  const model = await modelFor(ctx, loaded, settings);
  let lp: LightPeftRun;
  try {
    lp = checkpoint ? await LightPeftRun.restore(model, tokenizer, examples, phases, savedState(run, earlier, checkpoint)) : new LightPeftRun(model, tokenizer, examples, phases);
  } catch (e) {
    model.dispose();
    ctx.pool.trim();
    throw checkpoint ? unusableCheckpoint(run, e) : e;
  }
  useTrainedModel(session, model, settings);
  session.snapshots = [];
  const prunedWith = lp.prunedWith;
  session.lastPrune = prunedWith && { plan: prunedWith.plan, scores: prunedWith.scores };
  reporter.follow(() => ({ step: lp.step, rates: lp.current.rates }));
  let outcome: PruneOutcome | null = earlier.pruned ?? null;

  const setStage = (stage: LightPeftStage) => {
    reporter.stage = stage;
    reporter.post();
  };
  const takeSnapshot = async () => {
    const s = await lp.snapshot();
    const snapshot: MaskSnapshot = { step: s.step, stage: reporter.stage ?? 'estimating', budgets: s.budgets, scoreFrom: s.scoreFrom, scoredSteps: s.scoredSteps, scores: s.scores };
    session.snapshots = [...session.snapshots, snapshot].slice(-SNAPSHOT_HISTORY);
    onSnapshot(snapshot);
  };
  const save = async (status: RunRecord['status'], final: EvalLog | null = null) => {
    const state = await lp.captureState();
    const curves: RunCurves = {
      loss: lp.logs,
      metrics: final && metricsOf(final),
      evaluations: [...lp.evaluations, ...(final ? [final] : [])],
      error: null,
      pruned: outcome,
      prunedScores: state.scores,
      rollbacks: lp.rollbacks,
    };
    await reporter.save(status, lp.step, curves, state.tensors);
  };

  // ---- the prune, measured on both sides (as the CLI's report measures it) ----
  const probe = examples.train.slice(0, options.batchSize);
  const fullShape = { heads: Array<number>(model.config.layers).fill(model.config.heads), ffn: Array<number>(model.config.layers).fill(model.config.intermediate) };
  let before: ModelMeasure | null = null;
  const pruneHooks = (trigger: PruneOutcome['trigger']) => ({
    beforePrune: async () => {
      setStage('pruning');
      reporter.phase = 'evaluating';
      reporter.post();
      // The model as estimated (masks as learned), on the whole validation set: the "before" accuracy.
      const { predictions, ...log } = await lp.estimation.evaluate();
      lp.estimation.evaluations.push(log);
      reporter.evaluation(log);
      reporter.phase = 'training';
      const inferenceSeconds = await timeInference(model, tokenizer, probe, options.maxLength);
      await ctx.sync();
      before = measure(model, fullShape, { metrics: metricsOf(log), trainStepSeconds: meanStepSeconds(lp.estimation), inferenceSeconds, gpuBytes: ctx.pool.inUseBytes });
    },
    afterPrune: async (plan: PruningPlan) => {
      await ctx.sync();
      const gpuBytes = ctx.pool.inUseBytes;
      const inferenceSeconds = await timeInference(model, tokenizer, probe, options.maxLength);
      const after = measure(model, shapeOf(plan), { metrics: null, trainStepSeconds: null, inferenceSeconds, gpuBytes });
      outcome = { step: lp.estimation.step, trigger, plan, before: before!, after };
      reporter.pruned = outcome;
      reporter.totalSteps = totalStepsOf(settings, { ...earlier, pruned: outcome });
      session.lastPrune = { plan, scores: lp.prunedWith!.scores };
      ctx.pool.resetPeak();
    },
  });
  /** After the prune: the snapshot of the plan that was applied, and a checkpoint of the pruned model. */
  const afterPrune = async () => {
    setStage(lp.phase === 'done' ? 'done' : 'training');
    await takeSnapshot();
    await save('running');
    reporter.phase = 'training';
    reporter.post();
  };

  const evaluatePlan = async (ratios: PlanRatios, limit?: number): Promise<PlanEvaluation> => {
    if (lp.phase !== 'estimating') throw new NotReadyError('This run is pruned already: a plan can be evaluated while the masks are estimated. The pruned model’s accuracy is measured at the end of the run.');
    if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) throw new SettingError(`The number of validation examples to evaluate must be a whole number above 0 (got ${limit}).`);
    await lp.snapshot(); // the plan is made from the scores as they are now
    const plan = lp.plan(ratios);
    const used = limit === undefined ? examples.validation : examples.validation.slice(0, limit);
    reporter.phase = 'evaluating';
    reporter.post();
    const evaluation = await lp.evaluateAtPlan(plan, used);
    reporter.phase = 'training';
    reporter.post();
    return { ratios, counts: plan.counts, predicted: plan.predicted, evaluation, examples: used.length };
  };
  active.lightPeft = {
    pruneNow: (ratios) =>
      control.enqueue(async () => {
        if (lp.phase !== 'estimating') throw new NotReadyError('This run is pruned already: Light-PEFT prunes once, during estimation.');
        setStage('planning');
        try {
          await lp.pruneNow(ratios, pruneHooks('now'));
        } catch (e) {
          if (lp.phase === 'estimating') setStage('estimating'); // a refused plan (module or rank scores not ready) changes nothing
          throw e;
        }
        await afterPrune();
        return outcome!;
      }),
    evaluatePlan: (ratios, limit) => control.enqueue(() => evaluatePlan(ratios, limit)),
  };

  try {
    if (run.step === 0) await save('running'); // listed (and resumable) from the start
    reporter.phase = 'training';
    reporter.post();
    if (lp.phase === 'estimating') await takeSnapshot();
    const snapshotEvery = options.lightPeft.snapshotEvery;
    const checkpointEvery = options.checkpointEvery;
    const hooks = {
      shouldStop: () => control.wantsControl,
      onLog: reporter.log.bind(reporter),
      onRollback: reporter.rollback.bind(reporter),
      onStep: async ({ step }: { step: number }) => {
        const estimating = lp.phase === 'estimating';
        if (estimating && lp.estimation.done) setStage('planning'); // the prune follows this step
        if (estimating && (lp.estimation.step % snapshotEvery === 0 || lp.estimation.done)) await takeSnapshot();
        // Not at a phase's last step: the prune or the end saves right after it.
        if (step % checkpointEvery === 0 && !lp.current.done) {
          await save('running');
          reporter.phase = 'training';
        }
        reporter.post(); // every step; the worker throttles what it sends to the page
        await nextTask(); // lets stop, pause and the explorer's requests in
      },
      onEvaluationStart: () => {
        reporter.phase = 'evaluating';
        reporter.post();
      },
      onEvaluation: (log: EvalLog) => {
        reporter.evaluation(log);
        reporter.phase = 'training';
        reporter.post();
      },
      ...pruneHooks('auto'),
    };
    while (lp.phase !== 'done' && !control.stopRequested) {
      const wasEstimating = lp.phase === 'estimating';
      await lp.runSteps(Infinity, hooks);
      if (wasEstimating && lp.phase !== 'estimating') await afterPrune();
      await control.between(async () => {
        if (lp.phase === 'estimating') await takeSnapshot(); // what a paused explorer plans from
        reporter.post();
      });
      reporter.post();
    }
    if (lp.phase !== 'done') {
      await save('paused');
      return finishLightPeft(null);
    }
    setStage('done');
    reporter.phase = 'evaluating';
    reporter.post();
    const training = lp.training!;
    const { predictions, ...final } = await training.evaluate();
    reporter.evaluation(final); // the last message carries it
    if (outcome) {
      outcome = { ...outcome, after: { ...outcome.after, metrics: metricsOf(final), trainStepSeconds: meanStepSeconds(training) } };
      reporter.pruned = outcome;
    }
    await save('finished', final);
    return finishLightPeft(final);
  } catch (error) {
    lp.dispose();
    ctx.pool.trim();
    // A lost device leaves the run as last saved: execute() (train.ts) goes on from there on a new device.
    if (errorCodeOf(error) !== 'DEVICE_LOST') await markFailed(session, run.id, error);
    throw error;
  } finally {
    active.lightPeft = null;
  }

  function finishLightPeft(final: EvalLog | null): TrainResult {
    lp.dispose(); // the optimizer state lives on in the checkpoint only; the trained (pruned) model stays loaded
    ctx.pool.trim();
    session.model = { ...session.model!, summary: { ...session.model!.summary, parameters: model.baseParameterCount(), trainableParameters: model.trainableParameterCount(['peft', 'head']) } };
    return finishRun(session, reporter, reporter.totalSteps, final);
  }
}

/** What LightPeftRun.restore needs from a saved run: its loss points and evaluations split at the prune, and the plan. */
export function savedState(run: RunRecord, curves: RunCurves, tensors: Map<string, StoredTensor>): LightPeftState {
  const pruned = curves.pruned ?? null;
  const estimationSteps = pruned ? pruned.step : run.step;
  const upTo = <T extends { step: number }>(items: T[]) => items.filter((x) => x.step <= estimationSteps);
  const after = <T extends { step: number }>(items: T[]) => items.filter((x) => x.step > estimationSteps);
  // A rollback belongs to the phase of the step that went bad.
  const rollbacks = curves.rollbacks ?? [];
  const estimationRollbacks = rollbacks.filter((r) => r.badStep <= estimationSteps);
  const trainingRollbacks = rollbacks.filter((r) => r.badStep > estimationSteps);
  const estimation = { step: estimationSteps, logs: upTo(curves.loss), evaluations: upTo(curves.evaluations), rollbacks: estimationRollbacks };
  if (!pruned) return { phase: 'estimating', estimation, training: null, plan: null, scores: null, tensors };
  if (!curves.prunedScores) throw new Error('the saved run was pruned but its scores are missing');
  const training = { step: run.step - estimationSteps, logs: after(curves.loss), evaluations: after(curves.evaluations), rollbacks: trainingRollbacks };
  return { phase: 'training', estimation, training, plan: pruned.plan, scores: curves.prunedScores, tensors };
}

/** Mean training seconds of a phase's steps so far (evaluations excluded); null before its first loss point. */
function meanStepSeconds(run: TrainingRun): number | null {
  const last = run.logs.at(-1);
  const steps = last ? last.step - run.stepOffset : 0;
  return last && steps > 0 ? last.seconds / steps : null;
}

function shapeOf(plan: PruningPlan): ModelMeasure['shape'] {
  return { heads: plan.keptHeads.map((h) => h.length), ffn: plan.keptFfn.map((f) => f.length) };
}

function measure(model: RobertaModel, shape: ModelMeasure['shape'], m: Pick<ModelMeasure, 'metrics' | 'trainStepSeconds' | 'inferenceSeconds' | 'gpuBytes'>): ModelMeasure {
  // Trainable: the PEFT modules and the head (the masks are discarded by pruning, as the plan's prediction counts them).
  return { ...m, baseParams: model.baseParameterCount(), trainableParams: model.trainableParameterCount(['peft', 'head']), shape };
}
