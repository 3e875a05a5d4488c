/**
 * The training settings and logs every run shares, and `train`: a fine-tuning run from its first
 * step in one call (TrainingRun in run.ts is the loop; Light-PEFT's phases build on it).
 */
import type { Example } from '../io/datasets';
import type { TextTokenizer } from '../io/tokenizer';
import type { RobertaModel } from '../model/roberta';
import type { AdamW } from './optimizer';
import type { EvalLog, NonFinitePolicy, PhaseName, RollbackLog, StepLog } from '../../shared/training';
import { TrainingRun } from './run';

export { evaluate } from './evaluate';
export { defaultOptimizer } from './optimizer';
export { NonFiniteLossError } from './errors';
export { NON_FINITE_POLICIES } from '../../shared/training';

export interface TrainSettings {
  /** Steps of the run: its schedule decays to 0 at the last one. */
  steps: number;
  batchSize: number;
  maxLength: number;
  seed: number;
  /** Peak learning rate. */
  lr: number;
  /** Share of the steps spent warming up linearly to the peak. */
  warmupRatio: number;
  weightDecay: number;
  /** Light-PEFT masks' learning-rate multiplier (no weight decay). */
  maskLrMultiplier: number;
  lambdaHead: number;
  lambdaFfn: number;
  /** Dropout as config.json says (true) or off. */
  dropout: boolean;
  /** Read the loss back every this many steps (and at the last step). */
  logEvery: number;
  /** Clip the global gradient norm to this before each update; undefined or 0: no clipping. */
  maxGradNorm?: number;
  /** Evaluate the validation set every this many steps; undefined or 0: never during training. */
  evalEvery?: number;
  /** Light-PEFT: accumulate Importance Ratio and Taylor scores from this step (0-based) on. */
  scoreFrom?: number;
  /** A NaN or infinite loss or gradient norm: stop (default) or roll back to the last good state at a lower learning rate. */
  onNonFinite?: NonFinitePolicy;
}

/** Light-PEFT's phases, as loss points name them. */
export type { EvalLog, NonFinitePolicy, PhaseName, RollbackLog, StepLog };

/** Optional hooks into `train` (see RunHooks for the run's own). */
export interface TrainHooks {
  /** Checked before each step; true ends the call there, after the step before it has finished. */
  shouldStop?: () => boolean;
  /** Called after each step's update and awaited. */
  onStep?: (info: { step: number; tokens: number }) => void | Promise<void>;
  /** The validation set to evaluate every `settings.evalEvery` steps (not after the schedule's last step: that is the caller's final evaluation). */
  evaluation?: { examples: Example[]; onResult?: (log: EvalLog) => void };
}

/** Steps `offset + 1 … offset + settings.steps` of a schedule of `total` steps, with its batch stream (already past the first `offset` batches). */
export interface ScheduleWindow {
  offset: number;
  total: number;
  batches: Iterator<number[]>;
}

/**
 * Trains `settings.steps` steps in one call: a TrainingRun whose schedule spans `window.total`
 * steps (default: these), starting at `window.offset`.
 */
export async function train(
  model: RobertaModel,
  tokenizer: TextTokenizer,
  examples: Example[],
  settings: TrainSettings,
  onLog: (log: StepLog) => void = () => {},
  optimizer?: AdamW,
  window?: ScheduleWindow,
  hooks: TrainHooks = {},
): Promise<{ optimizer: AdamW; logs: StepLog[]; evals: EvalLog[]; tokens: number }> {
  const total = window?.total ?? settings.steps;
  const run = new TrainingRun(model, tokenizer, { train: examples, validation: hooks.evaluation?.examples }, { ...settings, steps: total }, { optimizer, batches: window?.batches, startStep: window?.offset });
  await run.runSteps(settings.steps, { shouldStop: hooks.shouldStop, onStep: hooks.onStep, onLog, onEvaluation: hooks.evaluation?.onResult });
  return { optimizer: run.optimizer, logs: run.logs, evals: run.evaluations, tokens: run.tokens };
}
