/** The commands `light-peft` dispatches: what each runs, accepts and says about itself. */
import type { ParseArgsConfig } from 'node:util';
import { gradCommand, OPTIONS as GRAD_OPTIONS } from './grad';
import { trainCommand, OPTIONS as TRAIN_OPTIONS } from './train';
import { evalCommand, OPTIONS as EVAL_OPTIONS } from './eval';
import { planCommand, OPTIONS as PLAN_OPTIONS } from './plan';
import { EVAL_USAGE, GRAD_USAGE, PLAN_USAGE, TRAIN_USAGE } from './usage';

export interface CliCommand {
  /** One line for `light-peft --help`. */
  summary: string;
  /** What `light-peft <command> --help` prints. */
  usage: string;
  /** The options it accepts (node:util parseArgs). */
  options: NonNullable<ParseArgsConfig['options']>;
  run(args: string[]): Promise<void>;
}

export const COMMANDS: Record<string, CliCommand> = {
  grad: { summary: 'one forward + backward on a batch: logits, losses, gradients and Light-PEFT scores', usage: GRAD_USAGE, options: GRAD_OPTIONS, run: gradCommand },
  train: { summary: 'fine-tune with LoRA, adapters or Light-PEFT; writes a report, curves and the HF PEFT adapter', usage: TRAIN_USAGE, options: TRAIN_OPTIONS, run: trainCommand },
  eval: { summary: 'metrics of a fine-tuned model (or base model + adapter) on a dataset, as JSON', usage: EVAL_USAGE, options: EVAL_OPTIONS, run: evalCommand },
  plan: { summary: "re-plan Light-PEFT pruning from a run's saved scores with other ratios (no GPU)", usage: PLAN_USAGE, options: PLAN_OPTIONS, run: planCommand },
};
