/**
 * One tab at a time per saved run: an exclusive Web Lock (navigator.locks, shared by every tab and
 * worker of the origin) named for the run, taken when its training starts or resumes and held
 * until the run ends, stops or fails; deleting a run takes it briefly. A tab that finds the lock
 * taken is refused and touches nothing. Where the Web Locks API is missing (Node tests), locks
 * held in this process stand in with the same semantics, so two sessions there act as two tabs.
 */

/** Gives the lock back. */
export type ReleaseLock = () => void;

export interface RunLocks {
  /** The run's lock, or null at once when another holder (another tab) has it. */
  tryHold(runId: string): Promise<ReleaseLock | null>;
  /** The runs whose lock is held now (by any tab, this one included). */
  held(): Promise<Set<string>>;
}

const PREFIX = 'light-peft-run:';

/** navigator.locks where it exists, else locks within this process. */
export function defaultRunLocks(): RunLocks {
  const locks = (globalThis as { navigator?: { locks?: LockManager } }).navigator?.locks;
  return locks ? webRunLocks(locks) : processRunLocks();
}

export function webRunLocks(locks: LockManager): RunLocks {
  return {
    tryHold(runId) {
      return new Promise<ReleaseLock | null>((resolve, reject) => {
        locks
          .request(PREFIX + runId, { mode: 'exclusive', ifAvailable: true }, (lock) => {
            if (!lock) {
              resolve(null);
              return undefined;
            }
            // The lock is held until the promise returned here settles: until release().
            return new Promise<void>((release) => resolve(() => release()));
          })
          .catch(reject);
      });
    },
    async held() {
      const { held = [] } = await locks.query();
      return new Set(held.map((l) => l.name ?? '').filter((name) => name.startsWith(PREFIX)).map((name) => name.slice(PREFIX.length)));
    },
  };
}

const inProcess = new Set<string>();

/** Locks shared by every session of this process (Node tests: two sessions are two tabs). */
export function processRunLocks(): RunLocks {
  return {
    async tryHold(runId) {
      if (inProcess.has(runId)) return null;
      inProcess.add(runId);
      let held = true;
      return () => {
        if (held) inProcess.delete(runId);
        held = false;
      };
    },
    async held() {
      return new Set(inProcess);
    },
  };
}
