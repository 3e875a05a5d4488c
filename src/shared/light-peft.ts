/**
 * What a Light-PEFT run reports while it trains and after it prunes: pure data the engine's
 * worker, its run records and the app share (the live masks view, the results, the export).
 */
import type { ClassificationMetrics } from './training';
import type { PlanInput, PruningPlan } from './pruning-plan';

/**
 * Where a Light-PEFT run is: 'estimating' (masks and scores learn), 'planning' (the plan is made
 * from the last scores), 'pruning' (rows and columns are removed on the GPU), 'training' (the
 * pruned model trains), 'done'.
 */
export type LightPeftStage = 'estimating' | 'planning' | 'pruning' | 'training' | 'done';

/** Mask snapshots the worker and the page keep of a run for playback (older ones are dropped first). */
export const SNAPSHOT_HISTORY = 200;

/** Masks and scores read back in one batch every `snapshotEvery` steps of a Light-PEFT run. */
export interface MaskSnapshot {
  /** Global step it was read at. */
  step: number;
  stage: LightPeftStage;
  budgets: { estimation: number; training: number };
  /** Module and rank scores are averaged from this estimation step on (0-based): the second half of estimation. */
  scoreFrom: number;
  /** Estimation steps the scores are averaged over; 0 before the second half (module and rank ratios must then be 0). */
  scoredSteps: number;
  /** Head and FFN masks, Importance Ratios and rank scores (HF module names): what the plan is made from. After pruning: those the plan was made from. */
  scores: PlanInput;
}

/** A model as measured in the app, before or after pruning. */
export interface ModelMeasure {
  /** Validation metrics (null until measured: the pruned model's are known at the end of the run). */
  metrics: ClassificationMetrics | null;
  /** Mean seconds of a training step of the phase (estimation: before; training the pruned model: after); null until known. */
  trainStepSeconds: number | null;
  /** Seconds to classify one training batch (forward only, after a warm-up). */
  inferenceSeconds: number;
  /** GPU bytes the engine holds for the model (weights, PEFT, no optimizer). */
  gpuBytes: number;
  baseParams: number;
  trainableParams: number;
  /** Heads per layer and FFN width per layer. */
  shape: { heads: number[]; ffn: number[] };
}

/** What pruning did to a Light-PEFT run: the plan and the model measured on each side of it. */
export interface PruneOutcome {
  /** Global step it was pruned after. */
  step: number;
  /** 'auto': at the end of the estimation budget; 'now': a person pressed Prune now. */
  trigger: 'auto' | 'now';
  plan: PruningPlan;
  before: ModelMeasure;
  after: ModelMeasure;
}
