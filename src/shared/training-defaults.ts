/**
 * The default settings every method shares and those of the LoRA / adapter baseline: pure
 * constants, so the app's form shows the same defaults the engine trains with. The values are
 * those of the Light-PEFT paper's public scripts (vanilla_train.sh for the baseline); the engine's
 * src/engine/train/defaults.ts adds Light-PEFT's phases.
 */
import type { LoraTarget } from './peft-targets';

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

/** Bounds on what a run may ask for (far above any sensible value; they catch typos). */
export const LIMITS = { maxSteps: 1_000_000, maxBatchSize: 1024 };
