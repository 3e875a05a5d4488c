/**
 * How the page steers a running training between two of its steps: stop, pause (everything stays
 * on the GPU), continue, and actions that must not overlap a step (Light-PEFT's prune now,
 * evaluate a plan). Requests only set flags or queue work here; the training loop calls
 * `between()` after each step, which runs the queued work and, while paused, waits for more work,
 * continue or stop.
 */
import { NotReadyError } from '../errors';

interface QueuedAction {
  run: () => Promise<void>;
  refuse: (reason: Error) => void;
}

export class RunControl {
  stopRequested = false;
  paused = false;
  private readonly actions: QueuedAction[] = [];
  private wake: (() => void) | null = null;
  private closed = false;

  /** The loop should leave its step loop now: to stop, to pause, or to run queued work. */
  get wantsControl(): boolean {
    return this.stopRequested || this.paused || this.actions.length > 0;
  }

  stop(): void {
    this.stopRequested = true;
    this.poke();
  }

  /** False when already paused or stopping. */
  pause(): boolean {
    if (this.paused || this.stopRequested || this.closed) return false;
    this.paused = true;
    return true;
  }

  /** False when not paused. */
  continue(): boolean {
    if (!this.paused) return false;
    this.paused = false;
    this.poke();
    return true;
  }

  /** Runs `work` between two steps (at once when paused) and answers with its result or error. */
  enqueue<T>(work: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new NotReadyError('The run has ended: there is no training to act on.'));
    return new Promise<T>((resolve, reject) => {
      this.actions.push({ run: () => work().then(resolve, reject), refuse: reject });
      this.poke();
    });
  }

  /**
   * Called by the training loop between steps: runs the queued work; while paused (and not
   * stopping), calls `onPause` once and then waits, running work as it arrives, until continue or stop.
   */
  async between(onPause?: () => Promise<void>): Promise<void> {
    await this.runQueued();
    if (!this.paused || this.stopRequested) return;
    await onPause?.();
    while (this.paused && !this.stopRequested) {
      if (this.actions.length === 0) await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = null;
      await this.runQueued();
    }
  }

  /** The run has ended: work still queued is refused, and nothing more is accepted. */
  close(): void {
    this.closed = true;
    this.paused = false;
    for (const action of this.actions.splice(0)) action.refuse(new NotReadyError('The run ended before this could run: there is no training to act on.'));
  }

  private async runQueued(): Promise<void> {
    for (let action = this.actions.shift(); action; action = this.actions.shift()) await action.run();
  }

  private poke(): void {
    this.wake?.();
  }
}
