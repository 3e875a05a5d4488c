/**
 * train / stopTraining / resumeRun: fine-tune the loaded model on the loaded data in the worker,
 * through the engine's TrainingRun. The run goes to IndexedDB when it starts, every
 * `checkpointEvery` steps, on stop and at the end, so a reload or a crash resumes where it was
 * (the engine restores the checkpoint and fast-forwards the seeded batch stream: the run goes on
 * exactly as if it had not been interrupted). This file handles the messages, IndexedDB and progress.
 * A lost GPU device does the same within the request: the run goes on from its last checkpoint on
 * a new device (at most MAX_DEVICE_RECOVERIES times a request), and the page hears of it.
 */
import type { RunRecord, StoredTensor } from '../../engine/train/checkpoint-store';
import { describeMethod, checkTrainOptions, type TrainOptions } from '../../engine/train/run-options';
import { runCurvesOf, runSettingsOf, type RunCurves } from '../../engine/train/run-record';
import { checkSameData, checkSameModel, dataName } from '../../engine/train/resume-checks';
import type { EvalLog } from '../../engine/train/trainer';
import { errorCodeOf, NotReadyError, SettingError } from '../../errors';
import type { MaskSnapshot, TrainResult } from '../protocol';
import type { ActiveTraining, Session } from '../session';
import { RunControl } from '../run-control';
import { RunReporter } from './run-reporter';
import { finishRun, holdRunLock, metricsOf, nextTask, useTrainedModel } from './run-common';
import { trainLightPeft } from './lightpeft-train';
import { refuseWhileTraining } from './busy';
import { markFailed } from './runs';
import { checkFitsAdapter, explainOutOfMemory, runMemoryEstimate } from './memory-check';
import { dataForTraining, dataIdentity, examplesFor, modelForTraining, modelIdentity, newRunSettings, trainerFor } from './train-inputs';
import type { TrainProgressReporter } from './train-progress';

/** Gets each mask snapshot of a Light-PEFT run as it is read. */
export type SnapshotReporter = (snapshot: MaskSnapshot) => void;

/** Starts a new run with the loaded model and data. */
export async function startTraining(session: Session, options: TrainOptions, report: TrainProgressReporter, onSnapshot: SnapshotReporter = () => {}): Promise<TrainResult> {
  refuseWhileTraining(session, 'start another run');
  const loaded = modelForTraining(session);
  const data = dataForTraining(session);
  checkTrainOptions(options, { maxTokens: loaded.summary.maxTokens, hidden: loaded.summary.hidden, pairs: data.examples.train.some((e) => e.textPair !== undefined) });
  const now = Date.now();
  const run: RunRecord = {
    id: crypto.randomUUID(),
    name: `${loaded.summary.name} · ${dataName(data.origin)} · ${describeMethod(options.method, options.lightPeft)}`,
    createdAt: now,
    updatedAt: now,
    step: 0,
    status: 'running',
    settings: newRunSettings(loaded, data, options),
    curves: { loss: [], metrics: null, evaluations: [], error: null, pruned: null } satisfies RunCurves,
  };
  return execute(session, run, null, report, onSnapshot);
}

/** Continues a saved run from its checkpoint; the same model and data (and columns) must be loaded. */
export async function resumeRun(session: Session, runId: string, report: TrainProgressReporter, onSnapshot: SnapshotReporter = () => {}): Promise<TrainResult> {
  refuseWhileTraining(session, 'resume a run');
  const saved = await (await session.checkpoints()).load(runId);
  if (!saved) throw new NotReadyError('This run is no longer saved in this browser (it was deleted); start a new one.');
  const settings = runSettingsOf(saved.run);
  if (!settings) throw new NotReadyError(`The run “${saved.run.name}” was saved by another version of this app and cannot be resumed; delete it and start a new one.`);
  if (saved.run.status === 'finished') throw new SettingError(`The run “${saved.run.name}” has finished: there is nothing to resume.`);
  const loaded = modelForTraining(session, settings);
  checkSameModel(modelIdentity(loaded), settings);
  const data = dataForTraining(session, settings);
  checkSameData(dataIdentity(loaded, data), settings);
  return execute(session, saved.run, saved.tensors, report, onSnapshot);
}

/** Asks the running training to stop after its current step (or at once when paused); false when none runs. */
export function stopTraining(session: Session): boolean {
  if (!session.training) return false;
  session.training.control.stop();
  return true;
}

/** A request recovers from this many lost devices; the next loss ends it (the run stays resumable). */
export const MAX_DEVICE_RECOVERIES = 2;

async function execute(session: Session, run: RunRecord, checkpoint: Map<string, StoredTensor> | null, report: TrainProgressReporter, onSnapshot: SnapshotReporter): Promise<TrainResult> {
  const active: ActiveTraining = { runId: run.id, control: new RunControl(), lightPeft: null, recoveries: [] };
  session.training = active;
  try {
    // The lock is held across recoveries from a lost device: no other tab takes the run meanwhile.
    return await holdRunLock(session, run, checkpoint !== null, async () => {
      for (;;) {
        let step = run.step;
        const tracked: TrainProgressReporter = (progress) => {
          step = progress.step;
          report(progress);
        };
        const settings = runSettingsOf(run)!;
        const estimate = runMemoryEstimate(session.model!.summary, settings);
        try {
          checkFitsAdapter(await session.gpu(), estimate, settings.options);
          const lightPeft = settings.options.lightPeft;
          return await session.withModel(() => (lightPeft ? trainLightPeft(session, run, checkpoint, tracked, onSnapshot, active) : trainRun(session, run, checkpoint, tracked, active.control)));
        } catch (error) {
          if (errorCodeOf(error) === 'OUT_OF_MEMORY') throw explainOutOfMemory(error, estimate, settings.options);
          if (errorCodeOf(error) !== 'DEVICE_LOST' || active.recoveries.length >= MAX_DEVICE_RECOVERIES || active.control.stopRequested) throw error;
          // The checkpoint is intact in IndexedDB; the next attempt builds the model on a new device from the model's files.
          const saved = await (await session.checkpoints()).load(run.id);
          if (!saved) throw error;
          ({ run, tensors: checkpoint } = saved);
          active.recoveries.push({ lostAtStep: step, resumedFrom: run.step, reason: (error as Error).message });
        }
      }
    });
  } finally {
    active.control.close();
    session.training = null;
  }
}

async function trainRun(session: Session, run: RunRecord, checkpoint: Map<string, StoredTensor> | null, report: TrainProgressReporter, control: RunControl): Promise<TrainResult> {
  const settings = runSettingsOf(run)!;
  const loaded = session.model!;
  const ctx = await session.gpu();
  const total = settings.engine.steps;
  const earlier = runCurvesOf(run);
  const reporter = new RunReporter(session, ctx, await session.checkpoints(), { ...run, settings }, earlier, total, control, report);
  reporter.post();

  const t = await trainerFor(ctx, loaded, settings, examplesFor(loaded, session.data!), run, checkpoint, earlier);
  reporter.follow(() => ({ step: t.step, rates: t.rates }));
  useTrainedModel(session, t.model, settings);
  session.lastPrune = null;
  session.snapshots = [];

  const save = async (status: RunRecord['status'], final: EvalLog | null = null) => {
    const curves: RunCurves = { loss: [...t.logs], metrics: final && metricsOf(final), evaluations: [...t.evaluations, ...(final ? [final] : [])], error: null, pruned: null, rollbacks: [...t.rollbacks] };
    await reporter.save(status, t.step, curves, await t.captureTensors());
  };
  const finish = (final: EvalLog | null): TrainResult => {
    t.dispose(); // the optimizer state lives on in the checkpoint only; the trained model stays loaded
    ctx.pool.trim();
    return finishRun(session, reporter, total, final);
  };

  try {
    if (run.step === 0) await save('running'); // listed (and resumable) from the start
    reporter.phase = 'training';
    reporter.post();
    await t.runSteps(total - t.step, {
      shouldStop: () => control.stopRequested,
      onLog: (log) => reporter.log(log),
      onRollback: (log) => reporter.rollback(log),
      onStep: async ({ step }) => {
        if (step % settings.options.checkpointEvery === 0 && step < total) {
          await save('running');
          reporter.phase = 'training';
        }
        reporter.post(); // every step; the worker throttles what it sends to the page
        await nextTask(); // lets a stop or pause request in
        await control.between(async () => reporter.post());
        if (!control.paused) reporter.post();
      },
      onEvaluationStart: () => {
        reporter.phase = 'evaluating';
        reporter.post();
      },
      onEvaluation: (log) => {
        reporter.evaluation(log);
        reporter.phase = 'training';
        reporter.post();
      },
    });
    if (!t.done) {
      await save('paused');
      return finish(null);
    }
    reporter.phase = 'evaluating';
    reporter.post();
    const { predictions, ...final } = await t.evaluate();
    reporter.evaluation(final); // the last message carries it
    await save('finished', final);
    return finish(final);
  } catch (error) {
    t.dispose();
    ctx.pool.trim();
    // A lost device leaves the run as last saved: execute() goes on from there on a new device.
    if (errorCodeOf(error) !== 'DEVICE_LOST') await markFailed(session, run.id, error);
    throw error;
  }
}
