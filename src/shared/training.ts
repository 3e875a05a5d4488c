/** What training reports, as the engine, the worker protocol and the UI share it. */

/** Classification metrics of predicted against true label ids. */
export interface ClassificationMetrics {
  accuracy: number;
  /** Unweighted mean of per-class F1 (classes absent from both truth and predictions are skipped). */
  macroF1: number;
  /** Matthews correlation coefficient, binary tasks only (null otherwise). */
  mcc: number | null;
  count: number;
}

/** Light-PEFT's two runs: estimation, then training the pruned model. */
export type PhaseName = 'estimation' | 'training';

/** A loss read-back during training. */
export interface StepLog {
  step: number; // 1-based, global (Light-PEFT's second phase continues the estimation's numbers)
  /** The loss trained on: the task's cross-entropy, plus λ·Σ|mask| while Light-PEFT estimates. */
  loss: number;
  /** The task's cross-entropy alone, when the step had an L1 term (Light-PEFT's estimation). */
  taskLoss?: number;
  lr: number;
  /** Training time since the run began (evaluations excluded). */
  seconds: number;
  /** Global gradient norm before clipping (only when clipping is on). */
  gradNorm?: number;
  /** The Light-PEFT phase the step belongs to (absent for a plain run). */
  phase?: PhaseName;
}

/**
 * What a run does when a step's loss or gradient norm is NaN or infinite (the step guard skips
 * that step's update either way): stop with an error, or roll back to the last good state and go
 * on at a lower learning rate.
 */
export const NON_FINITE_POLICIES = ['stop', 'rollback'] as const;
export type NonFinitePolicy = (typeof NON_FINITE_POLICIES)[number];

/** A rollback after a non-finite step. */
export interface RollbackLog {
  /** The first step whose loss or gradient norm was not finite (1-based, global). */
  badStep: number;
  /** The last good step the run went back to (global; its weights, optimizer and scores). */
  toStep: number;
  /** What was not finite there. */
  loss: number;
  gradNorm: number;
  /** The learning rate's scale from here on (the schedule times this). */
  lrScale: number;
}

/** A validation evaluation during training. */
export interface EvalLog extends ClassificationMetrics {
  step: number; // 1-based, the step after which it ran
  /** Mean validation cross-entropy. */
  loss: number;
  /** Seconds the evaluation took. */
  seconds: number;
}
