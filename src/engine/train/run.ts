/**
 * A fine-tuning run: the model, its AdamW, the seeded batch stream, its own linear schedule, the
 * step counter, the loss points and the validation evaluations. The CLI, the browser worker and
 * Light-PEFT's two phases all train through it.
 *
 * Loss points fall on every `logEvery`-th step of the run and on its last step, whatever calls
 * the steps are split into, so a run paused and resumed (tensors restored, the batch stream
 * fast-forwarded) logs the same points as an uninterrupted one. Each loss read-back waits for the
 * GPU; the steps in between are only queued. The validation set is evaluated after every
 * `evalEvery`-th step (global step numbers), except the run's last when its caller evaluates there.
 *
 * Every update goes through the step guard (optimizer.ts): a step whose loss or gradient norm is NaN
 * or infinite, and every step after it, change nothing on the GPU. The next loss read-back sees it
 * and, by `settings.onNonFinite`, stops the run (NonFiniteLossError) or rolls back to the last good
 * state (kept at read-backs, every NON_FINITE_DEFAULTS.goodStateEvery steps or more), replays the
 * same batches from there at a lower learning rate, and reports the rollback.
 */
import type { Example } from '../io/datasets';
import type { TextTokenizer } from '../io/tokenizer';
import type { StoredTensor } from './checkpoint-store';
import type { RobertaModel } from '../model/roberta';
import type { Tensor } from '../../gpu/buffers';
import { uploadBatch, type DeviceBatch } from '../model/batch';
import { AdamW, defaultOptimizer } from './optimizer';
import { gradientStep, type StepResult } from './step';
import { linearScheduleLr, warmupStepsOf } from './schedule';
import { shuffledBatches, tokenizeBatch } from './batches';
import { evaluate } from './evaluate';
import { captureTrainingState, restoreTrainingState } from './state';
import { NonFiniteLossError } from './errors';
import { NON_FINITE_DEFAULTS } from './defaults';
import { GUARD } from '../../kernels/grad-norm';
import type { EvalLog, PhaseName, RollbackLog, StepLog, TrainSettings } from './trainer';

export interface RunData {
  train: Example[];
  /** Evaluated every `evalEvery` steps and by evaluate(); none: no evaluations during training. */
  validation?: Example[];
}

export interface TrainingRunOptions {
  /** Default: a fresh AdamW from the settings. */
  optimizer?: AdamW;
  /** Default: seeded shuffled batches of the training set (a fresh permutation per epoch). */
  batches?: Iterator<number[]>;
  /** Steps before this run (Light-PEFT's estimation before its second phase): step numbers in logs, evaluations and dropout seeds continue from here. */
  stepOffset?: number;
  /** Written on each loss point (Light-PEFT's phases). */
  phase?: PhaseName;
  /** The caller evaluates after the run's last step (the final evaluation), so the run does not (default true). */
  callerEvaluatesLastStep?: boolean;
  /** Steps of this run already done elsewhere, `batches` being already past them (default 0; a checkpoint uses restore instead). */
  startStep?: number;
}

/** Where a run is: what a checkpoint records besides its tensors. */
export interface RunProgress {
  /** Steps done in this run. */
  step: number;
  logs: StepLog[];
  evaluations: EvalLog[];
  /** Rollbacks after non-finite steps so far (absent: none); the last one's lrScale is the run's. */
  rollbacks?: RollbackLog[];
}

/** A step the guard caught: the first non-finite one since the last reset. */
interface BadStep {
  step: number;
  loss: number;
  gradNorm: number;
}

/** Hooks into runSteps (the worker uses them to stop, report and checkpoint). */
export interface RunHooks {
  /** Checked before each step; true ends the call there, after the step before it has finished. */
  shouldStop?: () => boolean;
  /** After each step's update, awaited (a checkpoint of that step can be saved here). `step` is global. */
  onStep?: (info: { step: number; tokens: number }) => void | Promise<void>;
  onLog?: (log: StepLog) => void;
  /** An evaluation of the validation set is about to run after global step `step`. */
  onEvaluationStart?: (step: number) => void;
  onEvaluation?: (log: EvalLog) => void;
  /** The run went back to its last good state after a non-finite step (its later loss points and evaluations are gone). */
  onRollback?: (log: RollbackLog) => void;
}

export class TrainingRun {
  readonly optimizer: AdamW;
  /** Global step number of this run's step 0. */
  readonly stepOffset: number;
  /** Steps done in this run. */
  step = 0;
  readonly logs: StepLog[] = [];
  /** Evaluations during training (the caller's final evaluation is not among them). */
  readonly evaluations: EvalLog[] = [];
  /** Real (non-padding) tokens trained on by this object (a resumed run's earlier tokens are not counted). */
  tokens = 0;
  /** The schedule's learning rate is multiplied by this (lowered by each rollback: the last one's lrScale). */
  lrScale = 1;
  readonly rollbacks: RollbackLog[] = [];
  /** Steps and tokens a second of the current runSteps call, as of its last loss read-back. */
  rates: { stepsPerSecond: number; tokensPerSecond: number } | null = null;
  private readonly batches: Iterator<number[]>;
  private readonly warmupSteps: number;
  private readonly phase?: PhaseName;
  private readonly callerEvaluatesLastStep: boolean;
  /** Training seconds of earlier calls (a resumed run's: from its last loss point). */
  private secondsBefore = 0;
  /** A restored checkpoint's step whose evaluation never ran: runSteps runs it first. */
  private pendingEvaluation = false;
  /** Rollback only: the last state a read-back showed good, and the batches trained on since. */
  private lastGood: { step: number; logCount: number; evaluationCount: number; tensors: Map<string, StoredTensor> } | null = null;
  private batchesSinceGood: number[][] = [];
  /** Batches to train on again (after a rollback) before the stream's next ones. */
  private replay: number[][] = [];

  constructor(
    readonly model: RobertaModel,
    readonly tokenizer: TextTokenizer,
    readonly data: RunData,
    readonly settings: TrainSettings,
    options: TrainingRunOptions = {},
  ) {
    this.optimizer = options.optimizer ?? new AdamW(model.ctx, defaultOptimizer(settings));
    this.batches = options.batches ?? shuffledBatches(data.train.length, settings.batchSize, settings.seed);
    this.stepOffset = options.stepOffset ?? 0;
    this.phase = options.phase;
    this.callerEvaluatesLastStep = options.callerEvaluatesLastStep ?? true;
    this.warmupSteps = warmupStepsOf(settings.warmupRatio, settings.steps);
    this.step = options.startStep ?? 0;
  }

  /** Steps in this run's schedule. */
  get total(): number {
    return this.settings.steps;
  }

  get done(): boolean {
    return this.step >= this.total;
  }

  /** Global number of the last step done. */
  get globalStep(): number {
    return this.stepOffset + this.step;
  }

  /** The learning rate of step `step` (0-based, of this run). */
  lrAt(step: number): number {
    return linearScheduleLr(step, this.total, this.settings.lr, this.warmupSteps);
  }

  /** Whether the validation set is evaluated after this run's step `step` (1-based). */
  evaluatesAfter(step: number): boolean {
    const every = this.settings.evalEvery ?? 0;
    if (!this.data.validation || every <= 0 || step <= 0 || step > this.total) return false;
    if (step === this.total && this.callerEvaluatesLastStep) return false;
    return (this.stepOffset + step) % every === 0;
  }

  /** Runs up to `n` steps (fewer at the end of the schedule or when a hook stops it); returns how many ran. */
  async runSteps(n: number, hooks: RunHooks = {}): Promise<number> {
    const { model, settings } = this;
    const { ctx } = model;
    if (this.pendingEvaluation) {
      this.pendingEvaluation = false;
      await this.evaluateDuringTraining(hooks);
    }
    if (this.rollsBack && !this.lastGood) await this.keepGoodState();
    const started = performance.now();
    let evalSeconds = 0;
    let ran = 0;
    let callTokens = 0;
    const trainingSeconds = () => (performance.now() - started) / 1000 - evalSeconds;
    while (ran < n && !this.done) {
      if (hooks.shouldStop?.()) break;
      const local = this.step;
      const global = this.stepOffset + local;
      const indices = this.nextBatch();
      const host = tokenizeBatch(this.tokenizer, indices.map((i) => this.data.train[i]), settings.maxLength);
      const batch = uploadBatch(ctx, host);
      const lr = this.lrAt(local) * this.lrScale;
      const result = this.trainStep(batch, local, lr);
      this.step++;
      ran++;
      const stepTokens = countTokens(host.attentionMask);
      this.tokens += stepTokens;
      callTokens += stepTokens;
      if (this.step % settings.logEvery === 0 || this.step === this.total) {
        const withL1 = settings.lambdaHead > 0 || settings.lambdaFfn > 0;
        const read = await this.readLoss(result.totalLoss, global + 1, lr, withL1 ? result.taskLoss : null);
        if ('bad' in read) {
          result.release();
          batch.dispose();
          ran -= this.rollBack(read.bad, hooks); // or throws; the steps it undid are run again
          continue;
        }
        const log = read.log;
        log.seconds = this.secondsBefore + trainingSeconds();
        this.logs.push(log);
        // The read-back waited for the GPU: these are the GPU's rates, not the queue's.
        const seconds = trainingSeconds();
        if (seconds > 0) this.rates = { stepsPerSecond: ran / seconds, tokensPerSecond: callTokens / seconds };
        hooks.onLog?.(log);
        if (this.rollsBack && this.step - (this.lastGood?.step ?? 0) >= NON_FINITE_DEFAULTS.goodStateEvery) await this.keepGoodState();
      }
      result.release();
      batch.dispose();
      await hooks.onStep?.({ step: global + 1, tokens: stepTokens });
      if (this.evaluatesAfter(this.step) && !hooks.shouldStop?.()) {
        await ctx.sync(); // the queued training steps count as training time, not evaluation
        evalSeconds += await this.evaluateDuringTraining(hooks);
      }
    }
    this.secondsBefore += trainingSeconds();
    return ran;
  }

  /** The validation set (or `examples`) on the model as it is now, as an evaluation after the current step; not recorded. */
  async evaluate(examples = this.data.validation ?? []): Promise<EvalLog & { predictions: number[] }> {
    const begun = performance.now();
    // At the training batch size: an evaluation never needs more memory than the steps around it.
    const metrics = await evaluate(this.model, this.tokenizer, examples, { batchSize: this.settings.batchSize, maxLength: this.settings.maxLength });
    return { step: this.globalStep, ...metrics, seconds: (performance.now() - begun) / 1000 };
  }

  /** Progress and tensors (trainable weights, AdamW moments and step, Light-PEFT scores) for a checkpoint. */
  progress(): RunProgress {
    const progress: RunProgress = { step: this.step, logs: [...this.logs], evaluations: [...this.evaluations] };
    if (this.rollbacks.length) progress.rollbacks = [...this.rollbacks];
    return progress;
  }

  captureTensors(): Promise<Map<string, StoredTensor>> {
    return captureTrainingState(this.model, this.optimizer);
  }

  /**
   * Continues a checkpoint on this fresh run: the tensors (when given) go back into the model and
   * optimizer, the batch stream skips the batches already trained on, and the step, loss points and
   * evaluations are the checkpoint's. Throws (naming the tensor) when the tensors do not fit the model.
   */
  restore(progress: RunProgress, tensors?: Map<string, StoredTensor>): void {
    if (this.step !== 0) throw new Error('TrainingRun.restore: only a fresh run can continue a checkpoint');
    if (tensors) restoreTrainingState(this.model, this.optimizer, tensors);
    for (let i = 0; i < progress.step; i++) this.batches.next(); // the data order of an uninterrupted run
    this.step = progress.step;
    this.logs.push(...progress.logs);
    this.evaluations.push(...progress.evaluations);
    this.rollbacks.push(...(progress.rollbacks ?? []));
    this.lrScale = this.rollbacks.at(-1)?.lrScale ?? 1;
    this.secondsBefore = progress.logs.at(-1)?.seconds ?? 0;
    // A checkpoint of an evaluation step is saved before that evaluation runs: one saved just
    // before a crash resumes without it, so it runs first, on the same weights.
    this.pendingEvaluation = this.evaluatesAfter(this.step) && !progress.evaluations.some((e) => e.step === this.globalStep);
  }

  /** Frees the optimizer's moments (the model stays). */
  dispose(): void {
    this.optimizer.dispose();
  }

  private async evaluateDuringTraining(hooks: RunHooks): Promise<number> {
    hooks.onEvaluationStart?.(this.globalStep);
    const { predictions, ...log } = await this.evaluate();
    this.evaluations.push(log);
    hooks.onEvaluation?.(log);
    return log.seconds;
  }

  /**
   * One forward, backward and update. Out of memory part-way, what the step allocated goes back to
   * the pool (and its recorded commands are dropped), the batch too, and the error goes on.
   */
  private trainStep(batch: DeviceBatch, local: number, lr: number): StepResult {
    const { model, settings } = this;
    const global = this.stepOffset + local;
    const scoreFrom = settings.scoreFrom;
    try {
      const result = model.ctx.allOrNothingSync(() =>
        gradientStep(model, batch, {
          lambdaHead: settings.lambdaHead,
          lambdaFfn: settings.lambdaFfn,
          dropoutSeed: settings.dropout ? settings.seed * 100003 + global : undefined,
          scoreBeta: scoreFrom !== undefined && local >= scoreFrom ? (local === scoreFrom ? 0 : 1) : undefined,
        }),
      );
      try {
        this.optimizer.update(model.trainableParams(), lr, { loss: result.totalLoss, step: global + 1 });
      } catch (e) {
        result.release();
        throw e;
      }
      return result;
    } catch (e) {
      batch.dispose();
      throw e;
    }
  }

  private get rollsBack(): boolean {
    return this.settings.onNonFinite === 'rollback';
  }

  /** The stream's next batch, or one to train on again after a rollback. */
  private nextBatch(): number[] {
    const indices = this.replay.shift() ?? (this.batches.next().value as number[]);
    if (this.rollsBack) this.batchesSinceGood.push(indices);
    return indices;
  }

  /** Keeps the state after the current step (a read-back just showed every step up to it finite). */
  private async keepGoodState(): Promise<void> {
    this.lastGood = { step: this.step, logCount: this.logs.length, evaluationCount: this.evaluations.length, tensors: await this.captureTensors() };
    this.batchesSinceGood = [];
  }

  /**
   * After a non-finite step: back to the last good state at a lower learning rate, the batches
   * since then queued to train on again (the same order and dropout seeds as before). Without a
   * good state to go back to, or after NON_FINITE_DEFAULTS.maxRollbacks rollbacks, it throws.
   * Returns the number of steps it undid.
   */
  private rollBack(bad: BadStep, hooks: RunHooks): number {
    const what = Number.isFinite(bad.loss) ? `gradient norm became ${bad.gradNorm}` : `loss became ${bad.loss}`;
    const skipped = `Its update and the ones after it were skipped, so the model keeps step ${bad.step - 1}'s weights.`;
    const good = this.lastGood;
    if (!this.rollsBack || !good) {
      throw new NonFiniteLossError(`The ${what} at step ${bad.step}. ${skipped} Lower the learning rate (now ${this.settings.lr}) or the max length, or let the run roll back on NaN, then start again.`);
    }
    if (this.rollbacks.length >= NON_FINITE_DEFAULTS.maxRollbacks) {
      throw new NonFiniteLossError(`The ${what} at step ${bad.step}, after ${this.rollbacks.length} rollbacks at lower learning rates. ${skipped} Lower the learning rate (now ${this.settings.lr}) or the max length, then start again.`);
    }
    const undone = this.step - good.step;
    restoreTrainingState(this.model, this.optimizer, good.tensors);
    this.optimizer.resetGuard();
    this.replay = [...this.batchesSinceGood, ...this.replay];
    this.batchesSinceGood = [];
    this.step = good.step;
    this.logs.splice(good.logCount);
    this.evaluations.splice(good.evaluationCount);
    this.lrScale *= NON_FINITE_DEFAULTS.lrFactor;
    const log: RollbackLog = { badStep: bad.step, toStep: this.globalStep, loss: bad.loss, gradNorm: bad.gradNorm, lrScale: this.lrScale };
    this.rollbacks.push(log);
    hooks.onRollback?.(log);
    return undone;
  }

  /** The step's loss (and, with an L1 term, its task part), gradient norm and guard, in one read-back. */
  private async readLoss(loss: Tensor, step: number, lr: number, taskLoss: Tensor | null): Promise<{ log: StepLog } | { bad: BadStep }> {
    const guard = this.optimizer.guardState;
    if (!guard) throw new Error('TrainingRun: the optimizer has no step guard after a guarded update');
    const read = await this.model.ctx.readMany([loss, ...(taskLoss ? [taskLoss] : []), guard]);
    const guardValues = read[read.length - 1];
    const badStep = guardValues[GUARD.firstBadStep];
    if (badStep !== 0) return { bad: { step: badStep, loss: guardValues[GUARD.badLoss], gradNorm: guardValues[GUARD.badNorm] } };
    const log: StepLog = { step, loss: read[0][0], lr, seconds: 0 };
    if (taskLoss) log.taskLoss = read[1][0];
    if (this.settings.maxGradNorm) log.gradNorm = guardValues[GUARD.norm];
    if (this.phase) log.phase = this.phase;
    return { log };
  }
}

/** Real (non-padding) tokens of a batch. */
function countTokens(attentionMask: number[][]): number {
  let n = 0;
  for (const row of attentionMask) for (const m of row) n += m;
  return n;
}
