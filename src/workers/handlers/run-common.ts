/** What a plain training and a Light-PEFT run share around their steps. */
import type { RunCurves, RunSettings } from '../../engine/train/run-record';
import { runCurvesOf } from '../../engine/train/run-record';
import type { EvalLog } from '../../engine/train/trainer';
import type { RobertaModel } from '../../engine/model/roberta';
import type { TrainResult } from '../protocol';
import type { Session } from '../session';
import { describePeft } from './model-summary';
import type { RunReporter } from './run-reporter';

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
