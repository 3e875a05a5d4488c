/**
 * Fine-tuning loop: seeded batches, one forward/backward per step, AdamW with parameter groups,
 * a linear schedule and optional gradient clipping. The loss (and gradient norm) is read back
 * only every `logEvery` steps, so the GPU is never waited on per step; the validation set is
 * evaluated every `evalEvery` steps when the caller gives one. Light-PEFT's phases build on this.
 */
import type { Example } from '../io/datasets';
import type { TextTokenizer } from '../io/tokenizer';
import type { RobertaModel } from '../model/roberta';
import { uploadBatch } from '../model/batch';
import { AdamW, type OptimizerConfig } from './optimizer';
import { gradientStep } from './step';
import { linearScheduleLr } from './schedule';
import { shuffledBatches, tokenizeBatch } from './batches';
import { argmaxRows, classificationMetrics, crossEntropySum, type ClassificationMetrics } from './metrics';
import { NonFiniteLossError } from '../../errors';
import type { EvalLog, StepLog } from '../../shared/training';

export type { EvalLog, StepLog };

export interface TrainSettings {
  steps: number;
  batchSize: number;
  maxLength: number;
  seed: number;
  lr: number;
  warmupRatio: number;
  weightDecay: number;
  /** Light-PEFT masks' learning-rate multiplier (no weight decay). */
  maskLrMultiplier: number;
  lambdaHead: number;
  lambdaFfn: number;
  /** Dropout as config.json says (true) or off. */
  dropout: boolean;
  logEvery: number;
  /** Clip the global gradient norm to this before each update; undefined or 0: no clipping. */
  maxGradNorm?: number;
  /** Evaluate the validation set every this many steps (when `hooks.evaluation` gives one); undefined or 0: never during training. */
  evalEvery?: number;
  /** Light-PEFT: accumulate Importance Ratio and Taylor scores from this step (0-based) on. */
  scoreFrom?: number;
}

/** Where a run sits inside a longer schedule (Light-PEFT's two phases share one). */
export interface ScheduleWindow {
  /** Steps before this call, and in the whole schedule. */
  offset: number;
  total: number;
  batches: Iterator<number[]>;
}

/** Optional hooks into the loop (the browser worker uses them to stop, report and checkpoint). */
export interface TrainHooks {
  /** Checked before each step; true ends the call there, after the step before it has finished. */
  shouldStop?: () => boolean;
  /** Called after each step's update and awaited, so a checkpoint of that step can be saved. */
  onStep?: (info: { step: number; tokens: number }) => void | Promise<void>;
  /** The validation set to evaluate every `settings.evalEvery` steps (the last step of the schedule is left to the caller's final evaluation). */
  evaluation?: { examples: Example[]; onResult?: (log: EvalLog) => void };
}

export function defaultOptimizer(settings: Pick<TrainSettings, 'lr' | 'weightDecay' | 'maskLrMultiplier' | 'maxGradNorm'>): OptimizerConfig {
  return {
    lr: settings.lr,
    maxGradNorm: settings.maxGradNorm,
    beta1: 0.9,
    beta2: 0.999,
    eps: 1e-8,
    groups: {
      peft: { lrMultiplier: 1, weightDecay: settings.weightDecay },
      head: { lrMultiplier: 1, weightDecay: settings.weightDecay },
      mask: { lrMultiplier: settings.maskLrMultiplier, weightDecay: 0 },
    },
  };
}

export async function train(
  model: RobertaModel,
  tokenizer: TextTokenizer,
  examples: Example[],
  settings: TrainSettings,
  onLog: (log: StepLog) => void = () => {},
  optimizer = new AdamW(model.ctx, defaultOptimizer(settings)),
  window: ScheduleWindow = { offset: 0, total: settings.steps, batches: shuffledBatches(examples.length, settings.batchSize, settings.seed) },
  hooks: TrainHooks = {},
): Promise<{ optimizer: AdamW; logs: StepLog[]; evals: EvalLog[]; tokens: number }> {
  const { ctx } = model;
  let tokens = 0; // real (non-padding) tokens trained on
  const warmup = Math.round(settings.warmupRatio * window.total);
  const logs: StepLog[] = [];
  const evals: EvalLog[] = [];
  const start = performance.now();
  let evalSeconds = 0;
  for (let step = 0; step < settings.steps; step++) {
    if (hooks.shouldStop?.()) break;
    const global = window.offset + step;
    const indices = window.batches.next().value as number[];
    const host = tokenizeBatch(tokenizer, indices.map((i) => examples[i]), settings.maxLength);
    const batch = uploadBatch(ctx, host);
    const lr = linearScheduleLr(global, window.total, settings.lr, warmup);
    const scoring = settings.scoreFrom !== undefined && step >= settings.scoreFrom;
    const result = gradientStep(model, batch, {
      lambdaHead: settings.lambdaHead,
      lambdaFfn: settings.lambdaFfn,
      dropoutSeed: settings.dropout ? settings.seed * 100003 + global : undefined,
      scoreBeta: scoring ? (step === settings.scoreFrom ? 0 : 1) : undefined,
    });
    optimizer.update(model.trainableParams(), lr);
    const isLogStep = (step + 1) % settings.logEvery === 0 || step === settings.steps - 1;
    if (isLogStep) {
      const clip = optimizer.clipState;
      const [lossValue, clipValues] = await ctx.readMany(clip ? [result.totalLoss, clip] : [result.totalLoss]);
      const loss = lossValue[0];
      if (!Number.isFinite(loss)) {
        throw new NonFiniteLossError(`The loss became ${loss} at step ${global + 1}. Lower the learning rate (now ${settings.lr}) or the max length, then start again.`);
      }
      const log: StepLog = { step: global + 1, loss, lr, seconds: (performance.now() - start) / 1000 - evalSeconds };
      if (clipValues) {
        log.gradNorm = clipValues[1];
        // Clipping by a NaN/inf norm would write NaN weights that the next checkpoint keeps.
        if (!Number.isFinite(log.gradNorm)) {
          throw new NonFiniteLossError(`The gradient norm became ${log.gradNorm} at step ${global + 1}. Lower the learning rate (now ${settings.lr}), then start again.`);
        }
      }
      logs.push(log);
      onLog(log);
    }
    result.release();
    batch.dispose();
    const stepTokens = countTokens(host.attentionMask);
    tokens += stepTokens;
    if (hooks.onStep) await hooks.onStep({ step: global + 1, tokens: stepTokens });
    const every = settings.evalEvery ?? 0;
    if (hooks.evaluation && every > 0 && (global + 1) % every === 0 && global + 1 < window.total && !hooks.shouldStop?.()) {
      await ctx.sync(); // the queued training steps count as training time, not evaluation
      const evalStart = performance.now();
      // At the training batch size: an evaluation never needs more memory than the steps around it.
      const { predictions, ...metrics } = await evaluate(model, tokenizer, hooks.evaluation.examples, { batchSize: settings.batchSize, maxLength: settings.maxLength });
      const log = { step: global + 1, ...metrics, seconds: (performance.now() - evalStart) / 1000 };
      evalSeconds += log.seconds;
      evals.push(log);
      hooks.evaluation.onResult?.(log);
    }
  }
  return { optimizer, logs, evals, tokens };
}

/** Real (non-padding) tokens of a batch. */
function countTokens(attentionMask: number[][]): number {
  let n = 0;
  for (const row of attentionMask) for (const m of row) n += m;
  return n;
}

/** Predictions in evaluation mode (no dropout), batch by batch. */
export async function evaluate(
  model: RobertaModel,
  tokenizer: TextTokenizer,
  examples: Example[],
  options: { batchSize: number; maxLength: number },
): Promise<ClassificationMetrics & { loss: number; predictions: number[] }> {
  const predictions: number[] = [];
  const classes = model.config.numLabels;
  let lossSum = 0;
  for (let start = 0; start < examples.length; start += options.batchSize) {
    const slice = examples.slice(start, start + options.batchSize);
    const batch = uploadBatch(model.ctx, tokenizeBatch(tokenizer, slice, options.maxLength));
    const result = model.forward(batch, { forBackward: false });
    const logits = await model.ctx.read(result.logits);
    predictions.push(...argmaxRows(logits, slice.length, classes));
    lossSum += crossEntropySum(logits, slice.map((e) => e.label), classes);
    model.release(result);
    batch.dispose();
  }
  const loss = examples.length ? lossSum / examples.length : 0;
  return { ...classificationMetrics(predictions, examples.map((e) => e.label), classes), loss, predictions };
}
