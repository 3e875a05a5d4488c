/**
 * A Light-PEFT run the app (or the CLI) drives step by step, as the paper's public code trains it:
 *
 * - 'estimating': a run of its own (estimate.sh): frozen base, PEFT modules, a trainable scalar per
 *   head and per FFN dimension under L1 (no weight decay on them), its own linear schedule that
 *   decays to 0 at the end of the estimation budget. Importance Ratios and Taylor rank scores are
 *   summed over the SECOND half of that budget and averaged.
 * - pruning, once: automatically at the end of the budget, or earlier with pruneNow(); the plan is
 *   planPruning's (pure) on the latest snapshot.
 * - 'training': a new run on the pruned model (train.sh): fresh AdamW, a fresh linear schedule
 *   from the peak, a fresh seeded batch stream (the scripts start a new process with the same seed);
 *   step numbers continue the estimation's.
 * - 'done'.
 *
 * snapshot() reads the masks and scores in one batch without stopping training; plan() re-plans
 * from it with any ratios; evaluateAtPlan() measures a plan without committing to it;
 * captureState()/restore() pause and resume at any step of either phase.
 */
import type { Example } from '../io/datasets';
import type { TextTokenizer } from '../io/tokenizer';
import type { StoredTensor } from '../train/checkpoint-store';
import type { RobertaModel } from '../model/roberta';
import { TrainingRun, type RunData, type RunHooks, type RunProgress } from '../train/run';
import type { EvalLog, RollbackLog, StepLog, TrainSettings } from '../train/trainer';
import { NotReadyError } from '../train/errors';
import { planPruning, type PlanInput, type PlanRatios, type PruningPlan } from '../../shared/pruning-plan';
import { prune } from './prune';
import { readScores } from './scores';
import { evaluateMasked } from './masked-eval';

export type LightPeftPhase = 'estimating' | 'training' | 'done';

export interface LightPeftSettings {
  /** The estimation run: `steps` is its budget; λ and the mask lr multiplier apply here. */
  estimation: TrainSettings;
  /** The pruned model's run: `steps` is its budget. */
  training: TrainSettings;
  /** The ratios of the automatic prune at the end of the estimation budget. */
  ratios: PlanRatios;
}

/** Around a prune (the CLI times inference and memory there). */
export interface PruneHooks {
  /** The plan is made and the estimation's optimizer freed; the model is not pruned yet. */
  beforePrune?: (plan: PruningPlan) => void | Promise<void>;
  /** The model is pruned; the second phase has not started. */
  afterPrune?: (plan: PruningPlan) => void | Promise<void>;
}

export interface LightPeftSnapshot {
  phase: LightPeftPhase;
  /** Global steps done (estimation, then training). */
  step: number;
  budgets: { estimation: number; training: number };
  /** Scores are summed from this estimation step on (0-based): the second half of the estimation budget. */
  scoreFrom: number;
  /** Estimation steps the scores are averaged over; 0 before the second half starts (the scores are then 0, not averages). */
  scoredSteps: number;
  /** Head and FFN masks, and Importance Ratios and rank scores averaged over `scoredSteps`: what plan() reads. After pruning, those the plan was made from. */
  scores: PlanInput;
  /** The latest loss points, oldest first. */
  recentLosses: StepLog[];
  /** The plan the model was pruned with (null while estimating). */
  plan: PruningPlan | null;
}

/** A paused run: what restore() needs besides the model, data and settings. */
export interface LightPeftState {
  phase: LightPeftPhase;
  estimation: RunProgress;
  training: RunProgress | null;
  /** The plan the model was pruned with, and the scores it was made from (after pruning). */
  plan: PruningPlan | null;
  scores: { input: PlanInput; scoredSteps: number } | null;
  /** The current phase's trainable tensors, AdamW moments and scores. */
  tensors: Map<string, StoredTensor>;
}

export class LightPeftRun {
  phase: LightPeftPhase = 'estimating';
  readonly estimation: TrainingRun;
  training: TrainingRun | null = null;
  private pruned: { plan: PruningPlan; scores: { input: PlanInput; scoredSteps: number } } | null = null;
  private latest: LightPeftSnapshot | null = null;

  /** `model` has the run's PEFT modules; its masks train from here on. */
  constructor(
    readonly model: RobertaModel,
    readonly tokenizer: TextTokenizer,
    readonly data: RunData,
    readonly settings: LightPeftSettings,
  ) {
    model.trainMasks = true;
    const budget = settings.estimation.steps;
    this.estimation = new TrainingRun(model, tokenizer, data, { ...settings.estimation, scoreFrom: Math.floor(budget / 2) }, { phase: 'estimation', callerEvaluatesLastStep: false });
  }

  /** A run continued from a paused state: a pruned one is pruned again with its plan before its tensors go back. */
  static async restore(model: RobertaModel, tokenizer: TextTokenizer, data: RunData, settings: LightPeftSettings, state: LightPeftState): Promise<LightPeftRun> {
    const run = new LightPeftRun(model, tokenizer, data, settings);
    if (state.phase === 'estimating') {
      run.estimation.restore(state.estimation, state.tensors);
      return run;
    }
    if (!state.plan || !state.scores || !state.training) throw new Error('LightPeftRun.restore: a pruned run’s state needs its plan, scores and training progress');
    run.estimation.restore(state.estimation); // its loss points and evaluations; it trains no more
    run.estimation.dispose();
    await prune(model, state.plan);
    model.ctx.pool.trim();
    run.pruned = { plan: state.plan, scores: state.scores };
    run.training = run.newTrainingRun();
    run.training.restore(state.training, state.tensors);
    run.phase = run.training.done ? 'done' : 'training';
    return run;
  }

  get budgets(): { estimation: number; training: number } {
    return { estimation: this.settings.estimation.steps, training: this.settings.training.steps };
  }

  /** Global steps done. */
  get step(): number {
    return this.estimation.step + (this.training?.step ?? 0);
  }

  /** The run the current phase trains with. */
  get current(): TrainingRun {
    return this.training ?? this.estimation;
  }

  get scoreFrom(): number {
    return this.estimation.settings.scoreFrom!;
  }

  /** Estimation steps summed into the scores so far. */
  get scoredSteps(): number {
    return Math.max(0, this.estimation.step - this.scoreFrom);
  }

  /** The plan the model was pruned with, and the scores it came from (null while estimating). */
  get prunedWith(): { plan: PruningPlan; scores: PlanInput; scoredSteps: number } | null {
    return this.pruned && { plan: this.pruned.plan, scores: this.pruned.scores.input, scoredSteps: this.pruned.scores.scoredSteps };
  }

  get logs(): StepLog[] {
    return [...this.estimation.logs, ...(this.training?.logs ?? [])];
  }

  get evaluations(): EvalLog[] {
    return [...this.estimation.evaluations, ...(this.training?.evaluations ?? [])];
  }

  /** Rollbacks after non-finite steps, of both phases. */
  get rollbacks(): RollbackLog[] {
    return [...this.estimation.rollbacks, ...(this.training?.rollbacks ?? [])];
  }

  /**
   * Up to `n` steps of the current phase (fewer at its end or when a hook stops it). The step that
   * ends the estimation budget is followed by the prune (the settings' ratios) and the switch to
   * the second phase; the next call trains the pruned model. Returns the steps run.
   */
  async runSteps(n: number, hooks: RunHooks & PruneHooks = {}): Promise<number> {
    if (this.phase === 'done') return 0;
    const ran = await this.current.runSteps(n, hooks);
    if (this.phase === 'estimating' && this.estimation.done) await this.pruneNow(this.settings.ratios, hooks);
    else if (this.phase === 'training' && this.training!.done) this.phase = 'done';
    return ran;
  }

  /** Masks, scores averaged so far and the latest losses, read back in one batch (cheap: call it every few steps). */
  async snapshot(recent = 50): Promise<LightPeftSnapshot> {
    const base = { phase: this.phase, step: this.step, budgets: this.budgets, scoreFrom: this.scoreFrom, recentLosses: this.logs.slice(-recent) };
    if (this.pruned) {
      this.latest = { ...base, scoredSteps: this.pruned.scores.scoredSteps, scores: this.pruned.scores.input, plan: this.pruned.plan };
    } else {
      const scoredSteps = this.scoredSteps;
      this.latest = { ...base, scoredSteps, scores: await readScores(this.model, scoredSteps), plan: null };
    }
    return this.latest;
  }

  /**
   * The plan at these ratios from the latest snapshot's scores (pure: nothing on the GPU). Before
   * the second half of estimation there are no module or rank scores: their ratios must be 0.
   */
  plan(ratios: PlanRatios): PruningPlan {
    const latest = this.latest;
    if (!latest) throw new NotReadyError('Take a snapshot of the run first: the plan is made from its masks and scores.');
    if (latest.scoredSteps === 0 && (ratios.module > 0 || ratios.rank > 0)) {
      throw new NotReadyError(
        `Module and rank scores are averaged over the second half of estimation, from step ${latest.scoreFrom + 1}: before that, plan with module and rank ratios of 0 (now ${ratios.module} and ${ratios.rank}).`,
      );
    }
    return planPruning(latest.scores, ratios);
  }

  /**
   * Prunes the model now (at any step of estimation) with the plan at these ratios from a fresh
   * snapshot, and starts the second phase: a fresh AdamW and schedule from the peak.
   */
  async pruneNow(ratios: PlanRatios = this.settings.ratios, hooks: PruneHooks = {}): Promise<PruningPlan> {
    if (this.phase !== 'estimating') throw new NotReadyError('This run is pruned already: it prunes once, during estimation.');
    const snapshot = await this.snapshot();
    const plan = this.plan(ratios);
    this.estimation.dispose();
    await hooks.beforePrune?.(plan);
    await prune(this.model, plan);
    this.model.ctx.pool.trim();
    this.pruned = { plan, scores: { input: snapshot.scores, scoredSteps: snapshot.scoredSteps } };
    this.latest = { ...snapshot, plan };
    await hooks.afterPrune?.(plan);
    this.training = this.newTrainingRun();
    this.phase = this.training.done ? 'done' : 'training';
    return plan;
  }

  /**
   * Validation metrics of the model as a plan would leave it, without committing: the pruned
   * heads' and FFN dimensions' masks at 0 and the kept ones at 1 (pruning resets them to 1), the
   * removed modules and ranks zeroed; then every tensor exactly as it was. Estimation only.
   */
  async evaluateAtPlan(plan: PruningPlan, examples: Example[] = this.data.validation ?? []): Promise<EvalLog> {
    if (this.phase !== 'estimating') throw new NotReadyError('This run is pruned already: evaluate it as it is.');
    const { predictions, ...log } = await evaluateMasked(this.model, plan, () => this.estimation.evaluate(examples));
    return log;
  }

  /** Everything restore() needs besides the model, data and settings (pause: stop between steps, then this). */
  async captureState(): Promise<LightPeftState> {
    return {
      phase: this.phase,
      estimation: this.estimation.progress(),
      training: this.training?.progress() ?? null,
      plan: this.pruned?.plan ?? null,
      scores: this.pruned?.scores ?? null,
      tensors: await this.current.captureTensors(),
    };
  }

  /** Frees the optimizers' state (the model stays). */
  dispose(): void {
    this.estimation.dispose();
    this.training?.dispose();
  }

  private newTrainingRun(): TrainingRun {
    const settings = { ...this.settings.training, lambdaHead: 0, lambdaFfn: 0, scoreFrom: undefined };
    return new TrainingRun(this.model, this.tokenizer, this.data, settings, { phase: 'training', stepOffset: this.estimation.step });
  }
}
