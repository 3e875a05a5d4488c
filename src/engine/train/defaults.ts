/**
 * The methods' default settings: one source for the CLI, the app and the benchmarks. The values
 * are those of the Light-PEFT paper's public scripts: vanilla_train.sh for the LoRA / adapter
 * baseline, estimate.sh for Light-PEFT's estimation phase and train.sh for its second phase
 * (training the pruned model), each phase on its own linear schedule.
 */
import { LORA_TARGETS, type LoraTarget } from '../model/peft';
import { DEFAULT_RATIOS, type PlanRatios } from '../lightpeft/plan';

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

/** Bounds on what a run may ask for (far above any sensible value; they catch typos). */
export const LIMITS = { maxSteps: 1_000_000, maxBatchSize: 1024 };

/** Light-PEFT's default estimation budget: 800 steps, or one epoch of the training set when that is shorter. */
export function defaultEstimationSteps(trainExamples: number, batchSize: number): number {
  return Math.max(1, Math.min(LIGHT_PEFT_DEFAULTS.estimation.maxSteps, Math.ceil(trainExamples / batchSize)));
}
