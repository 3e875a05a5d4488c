/** light-peft: the engine in Node. One file per command; commands.ts lists them. */
import { exitWithError, UsageError } from './errors';
import { asksForHelp, HelpRequest } from './args';
import { COMMANDS } from './commands';
import { mainUsage } from './usage';

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === 'help' && rest.length > 0) return main([rest[0], '--help']);
  if (!command || command === 'help' || asksForHelp([command])) throw new HelpRequest(mainUsage(COMMANDS));
  const cli = COMMANDS[command];
  if (!cli) throw new UsageError(`unknown command "${command}"; commands: ${Object.keys(COMMANDS).join(', ')} (see light-peft --help)`);
  await cli.run(rest);
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (e) => {
    if (!(e instanceof HelpRequest)) exitWithError(e);
    process.stdout.write(e.usage);
    process.exit(0);
  },
);
