/** light-peft: the engine in Node. One file per command. */
import { exitWithError, UsageError } from './errors';
import { gradCommand } from './grad';

const USAGE = `usage: light-peft <command> [options]

commands:
  grad     one forward + backward on a batch; writes logits, losses, gradients and Light-PEFT scores
           light-peft grad --model DIR --batch BATCH.json --out OUT.safetensors
             [--lora-r 8] [--lora-alpha 16] [--lora-targets query,value]
             [--adapter-init DIR] [--masks MASKS.safetensors] [--lambda-head 0] [--lambda-ffn 0]
`;

const COMMANDS: Record<string, (args: string[]) => Promise<void>> = { grad: gradCommand };

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
