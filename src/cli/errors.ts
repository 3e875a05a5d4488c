/** How the CLI reports failures: one line on stderr, exit code 2 for the user's input, 1 otherwise. */
import { BadInputError, EngineError } from '../engine/gpu/errors';

/** A bad command-line argument. */
export class UsageError extends Error {}

export function exitWithError(e: unknown): never {
  if (e instanceof UsageError || e instanceof BadInputError) {
    process.stderr.write(`light-peft: ${e.message}\n`);
    process.exit(2);
  }
  if (e instanceof EngineError) {
    process.stderr.write(`light-peft: ${e.message}\n`);
    process.exit(1);
  }
  process.stderr.write(`light-peft: internal error: ${(e as Error)?.stack ?? String(e)}\n`);
  process.exit(1);
}
