/** How the CLI reports failures: one line on stderr, exit code 2 for the user's input, 1 otherwise. */
import { BadInputError, EngineError } from '../errors';

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
  const system = fileSystemError(e);
  if (system) {
    process.stderr.write(`light-peft: ${system.message}\n`);
    process.exit(system.usersPath ? 2 : 1);
  }
  process.stderr.write(`light-peft: internal error: ${(e as Error)?.stack ?? String(e)}\n`);
  process.exit(1);
}

/** Errors that say the path given is wrong (missing, not a folder, not writable), not that the machine is in trouble. */
const PATH_CODES = new Set(['ENOENT', 'ENOTDIR', 'EISDIR', 'EEXIST', 'EACCES', 'EPERM', 'EROFS', 'ENAMETOOLONG', 'ELOOP']);

/**
 * A Node file-system error that no command turned into a BadInputError (say, an --out folder that
 * cannot be created): one line naming the path, not a stack trace.
 */
function fileSystemError(e: unknown): { message: string; usersPath: boolean } | null {
  const { code, path, syscall } = (e ?? {}) as NodeJS.ErrnoException;
  if (typeof code !== 'string' || typeof path !== 'string') return null;
  const usersPath = PATH_CODES.has(code);
  const advice = usersPath ? 'check the path and its permissions' : 'check the disk and try again';
  return { message: `${path}: ${syscall ?? 'file access'} failed (${code}); ${advice}`, usersPath };
}
