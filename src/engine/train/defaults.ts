/**
 * The methods' default settings: one source for the CLI, the app and the benchmarks. The values
 * are those of the Light-PEFT paper's public scripts: vanilla_train.sh for the LoRA / adapter
 * baseline, estimate.sh for Light-PEFT's estimation phase and train.sh for its second phase
 * (training the pruned model), each phase on its own linear schedule.
 */
import { ADAPTER_DEFAULTS, BASELINE_SCHEDULE, LIGHT_PEFT_DEFAULTS, LIMITS, LORA_DEFAULTS, NON_FINITE_DEFAULTS, TRAINING_DEFAULTS, type ScheduleDefaults } from '../../shared/training-defaults';

export { ADAPTER_DEFAULTS, BASELINE_SCHEDULE, LIGHT_PEFT_DEFAULTS, LIMITS, LORA_DEFAULTS, NON_FINITE_DEFAULTS, TRAINING_DEFAULTS, type ScheduleDefaults };

/** Light-PEFT's default estimation budget: 800 steps, or one epoch of the training set when that is shorter. */
export function defaultEstimationSteps(trainExamples: number, batchSize: number): number {
  return Math.max(1, Math.min(LIGHT_PEFT_DEFAULTS.estimation.maxSteps, Math.ceil(trainExamples / batchSize)));
}
