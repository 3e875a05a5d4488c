/**
 * Requests that act on the running training between two of its steps: pause and continue (any
 * run), and for a Light-PEFT run prune now, evaluate a plan and sweep plans. They are handled as
 * they arrive (not queued behind the training's model job); the work itself waits for the step
 * in progress to end (RunControl).
 */
import { NotReadyError, SettingError } from '../../errors';
import type { MaskSnapshot, PlanEvaluation, PlanRatios, PruneOutcome } from '../protocol';
import type { LightPeftActions, Session } from '../session';

export function pauseTraining(session: Session): boolean {
  return session.training?.control.pause() ?? false;
}

export function continueTraining(session: Session): boolean {
  return session.training?.control.continue() ?? false;
}

export async function pruneNow(session: Session, ratios: PlanRatios): Promise<PruneOutcome> {
  return lightPeftRun(session, 'Prune now').pruneNow(ratios);
}

export async function evaluatePlan(session: Session, ratios: PlanRatios, limit?: number): Promise<PlanEvaluation> {
  return lightPeftRun(session, 'Evaluating a plan').evaluatePlan(ratios, limit);
}

/** evaluatePlan at each point in order; `onPoint` after each. */
export async function sweepPlans(session: Session, points: PlanRatios[], onPoint: (done: number, result: PlanEvaluation) => void, limit?: number): Promise<PlanEvaluation[]> {
  const run = lightPeftRun(session, 'A sweep');
  if (!Array.isArray(points) || points.length === 0) throw new SettingError('A sweep needs at least one set of ratios to evaluate.');
  const results: PlanEvaluation[] = [];
  for (const ratios of points) {
    results.push(await run.evaluatePlan(ratios, limit));
    onPoint(results.length, results.at(-1)!);
  }
  return results;
}

export function snapshotHistory(session: Session): MaskSnapshot[] {
  return session.snapshots;
}

function lightPeftRun(session: Session, what: string): LightPeftActions {
  const actions = session.training?.lightPeft;
  if (!actions) throw new NotReadyError(`${what} works while a Light-PEFT run estimates its masks: start one (Light-PEFT in the Train form, or the demo).`);
  return actions;
}
