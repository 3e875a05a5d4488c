/** Requests that would change the model or data under a running training are refused, not queued. */
import { TrainingBusyError } from '../../errors';
import type { Session } from '../session';

export function refuseWhileTraining(session: Session, what: string): void {
  if (session.training) {
    throw new TrainingBusyError(`Training is running: stop it first to ${what} (Stop saves a checkpoint, and the run can be resumed later).`);
  }
}
