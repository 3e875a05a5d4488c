/**
 * listRuns / deleteRun: the runs saved in IndexedDB, summarised (no checkpoint tensors, the curve's
 * last loss only); a failed run marked. A run another tab trains (it holds the run's lock) is
 * listed as running there, and cannot be deleted from here.
 */
import type { RunRecord } from '../../engine/train/checkpoint-store';
import { RunOpenElsewhereError, TrainingBusyError } from '../../errors';
import type { RunSummary } from '../protocol';
import type { Session } from '../session';
import { runCurvesOf, runSettingsOf, totalStepsOf } from '../../engine/train/run-record';

export async function listRuns(session: Session): Promise<RunSummary[]> {
  const runs = await (await session.checkpoints()).listRuns();
  const training = await session.locks.held();
  return runs.map((run) => summaryOf(run, training));
}

export async function deleteRun(session: Session, runId: string): Promise<RunSummary[]> {
  if (session.training?.runId === runId) throw new TrainingBusyError('This run is training now: stop it first, then delete it.');
  const store = await session.checkpoints();
  // Held while deleting, so no tab starts resuming the run half-way through.
  const release = await session.locks.tryHold(runId);
  if (!release) {
    const name = (await store.listRuns()).find((r) => r.id === runId)?.name ?? runId;
    throw new RunOpenElsewhereError(name, 'delete it');
  }
  try {
    await store.delete(runId);
  } finally {
    release();
  }
  return listRuns(session);
}

/** `training`: the runs some tab (this one or another) trains now, by their lock. */
function summaryOf(run: RunRecord, training: Set<string>): RunSummary {
  const settings = runSettingsOf(run);
  const curves = runCurvesOf(run);
  // Held by a tab: it trains (or is resuming) there. Saved as running, but no tab trains it: the
  // page was reloaded or crashed during training.
  const status = training.has(run.id) && run.status !== 'finished' ? 'running' : run.status === 'running' ? 'interrupted' : run.status;
  return {
    id: run.id,
    name: run.name,
    createdAt: run.createdAt,
    updatedAt: run.updatedAt,
    step: run.step,
    totalSteps: settings ? totalStepsOf(settings, curves) : null,
    status,
    lastLoss: curves.loss.at(-1)?.loss ?? null,
    metrics: curves.metrics,
    error: curves.error,
    settings,
    resumable: settings !== null && status !== 'finished' && status !== 'running',
  };
}

/** Marks a run failed, keeping its last checkpoint (the state that failed may hold NaNs). */
export async function markFailed(session: Session, runId: string, error: unknown): Promise<void> {
  try {
    const store = await session.checkpoints();
    const last = await store.load(runId);
    if (!last) return;
    const shown = error instanceof Error ? { name: error.name, message: error.message } : { name: 'Error', message: String(error) };
    await store.save({ ...last.run, status: 'failed', updatedAt: Date.now(), curves: { ...runCurvesOf(last.run), error: shown } }, last.tensors);
  } catch {
    // IndexedDB itself failed: the run keeps its last saved state, and the error above is what the user sees.
  }
}
