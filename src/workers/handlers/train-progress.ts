/** Training progress messages to the page, throttled. */
import type { TrainProgress } from '../protocol';

/** Gets a message after every step (and at each phase); see throttledTrainProgress for the page. */
export type TrainProgressReporter = (progress: TrainProgress) => void;

/**
 * Passes on at most one step message per `intervalMs`, but always the first, a new phase or Light-PEFT stage, a pause or continue, a prune, new
 * loss points or evaluations, a new checkpoint and a new rollback (dropped messages carry nothing the next one does not).
 */
export function throttledTrainProgress(send: TrainProgressReporter, intervalMs: number, now = () => performance.now()): TrainProgressReporter {
  let last: TrainProgress | null = null;
  let lastTime = -Infinity;
  return (progress) => {
    const time = now();
    const important =
      !last ||
      progress.phase !== last.phase ||
      progress.stage !== last.stage ||
      progress.paused !== last.paused ||
      progress.pruned !== last.pruned ||
      progress.newLogs.length > 0 ||
      progress.newEvaluations.length > 0 ||
      progress.checkpointStep !== last.checkpointStep ||
      progress.rollbacks.length !== last.rollbacks.length ||
      progress.step === progress.totalSteps;
    if (!important && time - lastTime < intervalMs) return;
    last = progress;
    lastTime = time;
    send(progress);
  };
}
