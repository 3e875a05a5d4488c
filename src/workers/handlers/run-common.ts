/** What a plain training and a Light-PEFT run share around their steps. */
import type { RunRecord } from '../../engine/train/checkpoint-store';
import type { RunCurves, RunSettings } from '../../engine/train/run-record';
import { runCurvesOf } from '../../engine/train/run-record';
import type { EvalLog } from '../../engine/train/trainer';
import type { RobertaModel } from '../../engine/model/roberta';
import type { TrainResult } from '../protocol';
import type { Session } from '../session';
import { NotReadyError, RunOpenElsewhereError } from '../../errors';
import { describePeft } from './model-summary';
import type { RunReporter } from './run-reporter';

/**
 * Runs `work`, the training of `run`, while this tab holds the run's lock (run-locks.ts), so no
 * other tab trains, resumes or deletes it meanwhile; released when the run ends, stops or fails.
 * Another tab holding it refuses this one with RunOpenElsewhereError before anything is touched.
 * A resumed run must still be saved as it was loaded: another tab may have trained it on (or
 * deleted it) between this tab's load and the lock.
 */
export async function holdRunLock<T>(session: Session, run: RunRecord, resuming: boolean, work: () => Promise<T>): Promise<T> {
  const release = await session.locks.tryHold(run.id);
  if (!release) throw new RunOpenElsewhereError(run.name, resuming ? 'resume it' : 'train it');
  try {
    if (resuming) {
      const saved = (await (await session.checkpoints()).listRuns()).find((r) => r.id === run.id);
      if (!saved) throw new NotReadyError(`The run “${run.name}” was deleted in another tab; start a new one.`);
      if (saved.updatedAt !== run.updatedAt) throw new NotReadyError(`The run “${run.name}” was saved again in another tab after this tab read it: click Resume again to continue from its latest checkpoint.`);
    }
    return await work();
  } finally {
    release();
  }
}

/** The trained model replaces the loaded one: exports, Try it and the next run start from it. */
export function useTrainedModel(session: Session, model: RobertaModel, settings: RunSettings): void {
  const loaded = session.model!;
  const previous = loaded.model;
  session.model = { ...loaded, model, summary: { ...loaded.summary, peft: describePeft(settings.peft), parameters: model.baseParameterCount(), trainableParameters: model.trainableParameterCount(), id2label: [...settings.id2label] } };
  if (previous !== model) previous.dispose();
  model.ctx.pool.trim();
  model.ctx.pool.resetPeak();
}

/** The run's last message ('done') and its reply, from the record as last saved. */
export function finishRun(session: Session, reporter: RunReporter, total: number, final: EvalLog | null): TrainResult {
  reporter.phase = 'done';
  reporter.post();
  const record = reporter.record;
  const curves = runCurvesOf(record);
  const status = record.status === 'finished' ? 'finished' : 'paused';
  const ctx = session.model!.model.ctx;
  return {
    runId: record.id,
    name: record.name,
    status,
    step: record.step,
    totalSteps: total,
    metrics: final && metricsOf(final),
    loss: curves.loss,
    evaluations: curves.evaluations,
    model: { ...session.model!.summary, gpuBytes: ctx.liveBytes },
    pruned: curves.pruned ?? null,
  };
}

export function metricsOf({ accuracy, macroF1, mcc, count }: EvalLog): RunCurves['metrics'] {
  return { accuracy, macroF1, mcc, count };
}

/**
 * Lets queued messages (a stop or pause request) run before the next step. A MessageChannel task, not
 * setTimeout(0): browsers clamp nested timeouts to 4 ms, which would be paid on every step.
 */
export function nextTask(): Promise<void> {
  return new Promise((resolve) => {
    const { port1, port2 } = new MessageChannel();
    port1.onmessage = () => {
      port1.close();
      resolve();
    };
    port2.postMessage(null);
  });
}
