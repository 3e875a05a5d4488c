/**
 * The methods' default settings: one source for the CLI, the app and the benchmarks. The values
 * are those of the Light-PEFT paper's public scripts: vanilla_train.sh for the LoRA / adapter
 * baseline, estimate.sh for Light-PEFT's estimation phase and train.sh for its second phase
 * (training the pruned model), each phase on its own linear schedule.
 */
import { LORA_TARGETS, type LoraTarget } from '../model/peft';
import { DEFAULT_RATIOS, type PlanRatios } from '../../shared/pruning';

import { ADAPTER_DEFAULTS, BASELINE_SCHEDULE, LIMITS, LORA_DEFAULTS, TRAINING_DEFAULTS, type ScheduleDefaults } from '../../shared/training-defaults';

export { ADAPTER_DEFAULTS, BASELINE_SCHEDULE, LIMITS, LORA_DEFAULTS, TRAINING_DEFAULTS, type ScheduleDefaults };

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

/** Light-PEFT's default estimation budget: 800 steps, or one epoch of the training set when that is shorter. */
export function defaultEstimationSteps(trainExamples: number, batchSize: number): number {
  return Math.max(1, Math.min(LIGHT_PEFT_DEFAULTS.estimation.maxSteps, Math.ceil(trainExamples / batchSize)));
}
