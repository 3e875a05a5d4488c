/**
 * The run being trained as the page keeps it: the worker's latest progress message, with the
 * whole loss curve and every evaluation so far (each message carries only what is new).
 */
import type { EvalLog, StepLog } from '../../shared/training';
import type { TrainProgress } from '../../workers/protocol';

/** The run being trained, as the worker last reported it, with its whole loss curve and evaluations (`startStep` > 0: resumed there). */
export interface LiveRun extends Omit<TrainProgress, 'newLogs' | 'newEvaluations'> {
  curve: StepLog[];
  /** Validation evaluations so far; once the run has finished, the final one last (step = totalSteps). */
  evaluations: EvalLog[];
}

/**
 * `live` after one more progress message. Another run's message starts afresh, and so does the
 * first message after a lost device (the run went on from its checkpoint, and that message
 * carries every point up to it, as a resume's first message does). A new rollback
 * means the run went back to its `toStep`: the points after that step are dropped before the
 * message's new ones (the steps after it are trained again).
 */
export function nextLiveRun(live: LiveRun | null, progress: TrainProgress): LiveRun {
  const { newLogs, newEvaluations, ...rest } = progress;
  if (live?.runId !== progress.runId || progress.recoveries.length !== live.recoveries.length) return { ...rest, curve: [...newLogs], evaluations: [...newEvaluations] };
  const newRollbacks = progress.rollbacks.slice(live.rollbacks.length);
  const keepUpTo = Math.min(Infinity, ...newRollbacks.map((r) => r.toStep));
  const kept = <T extends { step: number }>(items: T[]) => (newRollbacks.length ? items.filter((x) => x.step <= keepUpTo) : items);
  const curve = newLogs.length || newRollbacks.length ? [...kept(live.curve), ...newLogs] : live.curve;
  const evaluations = newEvaluations.length || newRollbacks.length ? [...kept(live.evaluations), ...newEvaluations] : live.evaluations;
  return { ...rest, curve, evaluations };
}
