/**
 * The default settings every method shares and those of the LoRA / adapter baseline: pure
 * constants, so the app's form shows the same defaults the engine trains with. The values are
 * those of the Light-PEFT paper's public scripts (vanilla_train.sh for the baseline); the engine's
 * src/engine/train/defaults.ts adds Light-PEFT's phases.
 */
import { LORA_TARGETS, type LoraTarget } from './peft-targets';
import { DEFAULT_RATIOS, type PlanRatios } from './pruning';
import type { NonFinitePolicy } from './training';

/** A phase's optimiser schedule: AdamW at `lr`, linear warm-up over `warmupRatio` of its steps, linear decay to 0 at its last step. */
export interface ScheduleDefaults {
  lr: number;
  warmupRatio: number;
  weightDecay: number;
}

/** LoRA r=8, α=16, dropout 0.05 on its inputs; the baseline on query and value. */
export const LORA_DEFAULTS = { rank: 8, alpha: 16, dropout: 0.05, targets: ['query', 'value'] as LoraTarget[] };

/** Bottleneck adapters of 8 units (the scripts' `--bottleneck_size ${rank}`), dropout 0.1, ReLU. */
export const ADAPTER_DEFAULTS = { size: 8, dropout: 0.1, activation: 'relu' as const };

/** The baseline (vanilla_train.sh): 6% warm-up, weight decay 0.1, 5 epochs. */
export const BASELINE_SCHEDULE: ScheduleDefaults & { epochs: number } = { lr: 3e-4, warmupRatio: 0.06, weightDecay: 0.1, epochs: 5 };

/** Settings every method shares. */
export const TRAINING_DEFAULTS = {
  batchSize: 32,
  maxLength: 128,
  seed: 42,
  /** Global gradient-norm clipping, as Hugging Face's Trainer does by default. */
  maxGradNorm: 1,
  /** Loss read-backs (each waits for the GPU) every this many steps. */
  logEvery: 10,
  /** Evaluate the validation set only at the end. */
  evalEvery: 0,
  /** Held out of the training file when no validation file is given. */
  validationFraction: 0.1,
};

/** A step whose loss or gradients are NaN or infinite: what runs do by default, and how a rollback goes. */
export const NON_FINITE_DEFAULTS = {
  policy: 'stop' as NonFinitePolicy,
  /** Each rollback multiplies the learning rate by this. */
  lrFactor: 0.5,
  /** After this many rollbacks in one run, the next non-finite step stops it. */
  maxRollbacks: 3,
  /** The last good state is kept at a loss read-back at least this many steps after the one before. */
  goodStateEvery: 20,
};

/** Bounds on what a run may ask for (far above any sensible value; they catch typos). */
export const LIMITS = { maxSteps: 1_000_000, maxBatchSize: 1024 };

/** Light-PEFT's two phases (estimate.sh, then train.sh on the pruned model), its L1 weights and pruning ratios. */
export const LIGHT_PEFT_DEFAULTS = {
  /** PEFT on all six linear layers of each block. */
  targets: [...LORA_TARGETS] as LoraTarget[],
  /** estimate.sh: its own run of at most 800 steps, no warm-up, no weight decay. */
  estimation: { lr: 3e-4, warmupRatio: 0, weightDecay: 0, maxSteps: 800 } satisfies ScheduleDefaults & { maxSteps: number },
  /** train.sh: a new run on the pruned model (fresh AdamW, schedule from the peak), 10 epochs. */
  training: { lr: 3e-4, warmupRatio: 0, weightDecay: 0, epochs: 10 } satisfies ScheduleDefaults & { epochs: number },
  /** L1 weights on the head and FFN masks (`--l1_loss_coef`). */
  lambdaHead: 1e-4,
  lambdaFfn: 1e-4,
  /** Masks train at the PEFT learning rate times this (the scripts' `attn/ffn_mask_lr_coef`), never with weight decay. */
  maskLrMultiplier: 1,
  ratios: DEFAULT_RATIOS as PlanRatios,
};

/**
 * The app's one-click demo: a Light-PEFT run on the built-in demo model (4 layers × 256) and spam
 * data that shows the masks move within a minute even on a CPU-only WebGPU adapter (SwiftShader).
 * Everything else is the defaults above; the paper's budgets (800 estimation steps at batch 32 ×
 * 128 tokens) take hours there. The settings panel shows and explains each of these.
 */
export const LIGHT_PEFT_DEMO = {
  /**
   * Small batches of short sequences: about 1.5 s a step on a 2-core CPU through SwiftShader
   * (8 × 64 tokens took about 3 s), a few milliseconds on a real GPU.
   */
  batchSize: 8,
  maxLength: 32,
  /** Estimation steps: the masks separate within them under the larger λ below; module and rank scores average over the second half. */
  estimateSteps: 24,
  /** Steps of training the pruned model. */
  steps: 24,
  /** A higher peak learning rate than the paper's 3e-4 makes the short demo learn visibly. */
  lr: 3e-3,
  /** A stronger L1 pull than the paper's 1e-4, so masks spread apart within the short budget. */
  lambdaHead: 1e-2,
  lambdaFfn: 1e-2,
  /**
   * Masks learn 10× faster than the PEFT weights (the scripts' mask lr coefficient is 1): measured
   * on the demo, head masks end 24 steps in [0.71, 1.04] instead of [0.97, 1.00], and the heads
   * ranked lowest are the same either way.
   */
  maskLrMultiplier: 10,
  /** The masks are read back every this many steps for the live view (one batched read-back each). */
  snapshotEvery: 2,
  /** Validation is evaluated before and after the prune and at the end only. */
  evalEvery: 0,
  checkpointEvery: 12,
};
