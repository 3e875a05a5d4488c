/**
 * train / stopTraining / resumeRun: fine-tune the loaded model on the loaded data in the worker,
 * through the engine's TrainingRun. The run goes to IndexedDB when it starts, every
 * `checkpointEvery` steps, on stop and at the end, so a reload or a crash resumes where it was
 * (the engine restores the checkpoint and fast-forwards the seeded batch stream: the run goes on
 * exactly as if it had not been interrupted). This file handles the messages, IndexedDB and progress.
 */
import type { RunRecord, StoredTensor } from '../../engine/train/checkpoint-store';
import type { TrainingRun } from '../../engine/train/run';
import { describeMethod, checkTrainOptions, type TrainOptions } from '../../engine/train/run-options';
import { runCurvesOf, runSettingsOf, type RunCurves } from '../../engine/train/run-record';
import { checkSameData, checkSameModel, dataName } from '../../engine/train/resume-checks';
import type { EvalLog, StepLog } from '../../engine/train/trainer';
import { NotReadyError, SettingError } from '../../errors';
import type { TrainProgress, TrainResult } from '../protocol';
import type { Session } from '../session';
import { describePeft } from './model-summary';
import { refuseWhileTraining } from './busy';
import { markFailed } from './runs';
import { dataForTraining, dataIdentity, examplesFor, modelForTraining, modelIdentity, newRunSettings, trainerFor } from './train-inputs';
import type { TrainProgressReporter } from './train-progress';

/** Starts a new run with the loaded model and data. */
export async function startTraining(session: Session, options: TrainOptions, report: TrainProgressReporter): Promise<TrainResult> {
  refuseWhileTraining(session, 'start another run');
  const loaded = modelForTraining(session);
  const data = dataForTraining(session);
  checkTrainOptions(options, { maxTokens: loaded.summary.maxTokens, hidden: loaded.summary.hidden, pairs: data.examples.train.some((e) => e.textPair !== undefined) });
  const now = Date.now();
  const run: RunRecord = {
    id: crypto.randomUUID(),
    name: `${loaded.summary.name} · ${dataName(data.origin)} · ${describeMethod(options.method)}`,
    createdAt: now,
    updatedAt: now,
    step: 0,
    status: 'running',
    settings: newRunSettings(loaded, data, options),
    curves: { loss: [], metrics: null, evaluations: [], error: null } satisfies RunCurves,
  };
  return execute(session, run, null, report);
}

/** Continues a saved run from its checkpoint; the same model and data (and columns) must be loaded. */
export async function resumeRun(session: Session, runId: string, report: TrainProgressReporter): Promise<TrainResult> {
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
  return execute(session, saved.run, saved.tensors, report);
}

/** Asks the running training to stop after its current step; false when none runs. */
export function stopTraining(session: Session): boolean {
  if (!session.training) return false;
  session.training.stopRequested = true;
  return true;
}

async function execute(session: Session, run: RunRecord, checkpoint: Map<string, StoredTensor> | null, report: TrainProgressReporter): Promise<TrainResult> {
  const active = { runId: run.id, stopRequested: false };
  session.training = active;
  try {
    return await session.withModel(() => trainRun(session, run, checkpoint, report, () => active.stopRequested));
  } finally {
    session.training = null;
  }
}

async function trainRun(session: Session, run: RunRecord, checkpoint: Map<string, StoredTensor> | null, report: TrainProgressReporter, stopRequested: () => boolean): Promise<TrainResult> {
  const settings = runSettingsOf(run)!;
  const loaded = session.model!;
  const store = await session.checkpoints();
  const ctx = await session.gpu();
  const total = settings.engine.steps;
  const earlier = runCurvesOf(run);
  let phase: TrainProgress['phase'] = 'preparing';
  let checkpointStep: number | null = null;
  let trainer: TrainingRun | null = null;
  let record: RunRecord = { ...run, settings }; // saved with the current version of its settings
  const unposted: StepLog[] = [...earlier.loss];
  const unpostedEvaluations: EvalLog[] = [...earlier.evaluations];
  const post = () =>
    report({
      runId: run.id,
      name: run.name,
      phase,
      step: trainer?.step ?? run.step,
      totalSteps: total,
      startStep: run.step,
      newLogs: unposted.splice(0),
      newEvaluations: unpostedEvaluations.splice(0),
      stepsPerSecond: trainer?.rates?.stepsPerSecond ?? null,
      tokensPerSecond: trainer?.rates?.tokensPerSecond ?? null,
      gpuBytes: ctx.liveBytes,
      peakGpuBytes: ctx.pool.peakAllocatedBytes,
      checkpointStep,
      stage: null,
      pruned: null,
      paused: false,
    });
  post();

  trainer = await trainerFor(ctx, loaded, settings, examplesFor(loaded, session.data!), run, checkpoint, earlier);
  const t = trainer;
  // The trained model replaces the loaded one: exports and the next run start from it.
  const previous = loaded.model;
  session.model = { ...loaded, model: t.model, summary: { ...loaded.summary, peft: describePeft(settings.peft), trainableParameters: t.model.trainableParameterCount(), id2label: [...settings.id2label] } };
  previous.dispose();
  ctx.pool.trim();
  ctx.pool.resetPeak();

  const save = async (status: RunRecord['status'], final: EvalLog | null = null) => {
    phase = 'saving';
    const curves: RunCurves = { loss: [...t.logs], metrics: final && metricsOf(final), evaluations: [...t.evaluations, ...(final ? [final] : [])], error: null };
    record = { ...record, step: t.step, status, updatedAt: Date.now(), curves };
    await store.save(record, await t.captureTensors());
    checkpointStep = t.step;
    session.lastRun = record; // the export's training report
  };
  const finish = (final: EvalLog | null): TrainResult => {
    t.dispose(); // the optimizer state lives on in the checkpoint only; the trained model stays loaded
    ctx.pool.trim();
    phase = 'done';
    post();
    const curves = runCurvesOf(record);
    const status = record.status === 'finished' ? 'finished' : 'paused';
    return { runId: run.id, name: run.name, status, step: record.step, totalSteps: total, metrics: final && metricsOf(final), loss: curves.loss, evaluations: curves.evaluations, model: { ...session.model!.summary, gpuBytes: ctx.liveBytes }, pruned: null };
  };

  try {
    if (run.step === 0) await save('running'); // listed (and resumable) from the start
    phase = 'training';
    post();
    await t.runSteps(total - t.step, {
      shouldStop: stopRequested,
      onLog: (log) => unposted.push(log),
      onStep: async ({ step }) => {
        if (step % settings.options.checkpointEvery === 0 && step < total) {
          await save('running');
          phase = 'training';
        }
        post(); // every step; the worker throttles what it sends to the page
        await nextTask(); // lets a stopTraining request in
      },
      onEvaluationStart: () => {
        phase = 'evaluating';
        post();
      },
      onEvaluation: (log) => {
        unpostedEvaluations.push(log);
        phase = 'training';
        post();
      },
    });
    if (!t.done) {
      await save('paused');
      return finish(null);
    }
    phase = 'evaluating';
    post();
    const { predictions, ...final } = await t.evaluate();
    unpostedEvaluations.push(final); // the last message carries it
    await save('finished', final);
    return finish(final);
  } catch (error) {
    t.dispose();
    ctx.pool.trim();
    await markFailed(session, run.id, error);
    throw error;
  }
}

function metricsOf({ accuracy, macroF1, mcc, count }: EvalLog): RunCurves['metrics'] {
  return { accuracy, macroF1, mcc, count };
}

/**
 * Lets queued messages (a stop request) run before the next step. A MessageChannel task, not
 * setTimeout(0): browsers clamp nested timeouts to 4 ms, which would be paid on every step.
 */
function nextTask(): Promise<void> {
  return new Promise((resolve) => {
    const { port1, port2 } = new MessageChannel();
    port1.onmessage = () => {
      port1.close();
      resolve();
    };
    port2.postMessage(null);
  });
}
