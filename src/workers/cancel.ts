/** Cancelling a request: the error it answers with, and the checks that turn an abort into it. */
import { CancelledError } from '../errors';

/** Throws a CancelledError once `signal` is aborted (between steps that do not watch the signal themselves). */
export function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new CancelledError('Cancelled; nothing was kept.');
}

/**
 * Runs `work`; once `signal` is aborted, whatever it throws (an AbortError from fetch, a read that
 * stopped half-way) becomes one CancelledError, so the UI can tell a cancel from a failure.
 */
export async function cancellable<T>(signal: AbortSignal, work: () => Promise<T>): Promise<T> {
  try {
    // A result stands even if the cancel came late: the work has already replaced what was loaded.
    return await work();
  } catch (e) {
    throwIfCancelled(signal);
    throw e;
  }
}
