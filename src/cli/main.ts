/** light-peft: the engine in Node. One file per command. */
import { exitWithError, UsageError } from './errors';
import { gradCommand } from './grad';
import { trainCommand } from './train';
import { evalCommand } from './eval';
import { planCommand } from './plan';

const USAGE = `usage: light-peft <command> [options]

--model takes a folder (config.json, model.safetensors, tokenizer.json) or a Hugging Face model id
(downloaded once into ~/.cache/light-peft/hub; --revision REV, --hf-token TOKEN or HF_TOKEN for gated models).

commands:
  grad     one forward + backward on a batch; writes logits, losses, gradients and Light-PEFT scores
           light-peft grad --model DIR --batch BATCH.json --out OUT.safetensors
             [--lora-r 8] [--lora-alpha 16] [--lora-targets query,value]
             [--adapter-init DIR] [--masks MASKS.safetensors] [--lambda-head 0] [--lambda-ffn 0]
  train    fine-tune on a dataset; writes report.json, curves.csv, evaluations.csv and the HF PEFT adapter
           (light-peft: also scores.safetensors, pruned-model/ and the pruning plan in report.json)
           light-peft train --model DIR --data FILE [--eval-data FILE] --out DIR
             [--text-column C] [--text-pair-column C2] [--label-column L] [--method lora|light-peft]
             [--peft lora|adapter] [--lora-r 8] [--lora-alpha 16] [--lora-targets query,value] [--adapter-size 8]
             [--steps N | --epochs E (lora 5; light-peft: 10, training the pruned model)] [--batch-size 32] [--lr 3e-4]
             [--warmup-ratio 0.06 (light-peft 0)] [--weight-decay 0.1 (light-peft 0)]
             [--max-length 128] [--validation-fraction 0.1] [--log-every 10] [--eval-every 0 (only at the end)]
             [--max-grad-norm 1 (0: no clipping)] [--no-dropout] [--seed 42]
             light-peft: [--estimate-steps min(800, one epoch)] [--estimate-warmup-ratio 0]
             [--lambda-head 1e-4] [--lambda-ffn 1e-4] [--mask-lr-multiplier 1]
             [--head-ratio 0.333] [--ffn-ratio 0.333] [--module-ratio 0.75] [--rank-ratio 0.5]
             [--head-scope layer|global] [--ffn-scope global|layer]
  plan     re-plan pruning from saved scores with other ratios; prints the plan as JSON
           light-peft plan --scores DIR/scores.safetensors [--head-ratio …] [--ffn-ratio …] [--module-ratio …]
             [--rank-ratio …] [--head-scope layer|global] [--ffn-scope global|layer]
  eval     metrics of a fine-tuned model (or base model + adapter) on a dataset, as JSON
           light-peft eval --model DIR [--adapter DIR] --data FILE [--text-column C] [--label-column L]
             [--max-length 128] [--batch-size 64]
`;

const COMMANDS: Record<string, (args: string[]) => Promise<void>> = { grad: gradCommand, train: trainCommand, eval: evalCommand, plan: planCommand };

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(USAGE);
    return;
  }
  const run = COMMANDS[command];
  if (!run) throw new UsageError(`unknown command "${command}"; commands: ${Object.keys(COMMANDS).join(', ')} (see light-peft --help)`);
  await run(rest);
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (e) => exitWithError(e),
);
