/** listRuns / deleteRun: the runs saved in IndexedDB, summarised (no checkpoint tensors, the curve's last loss only); a failed run marked. */
import type { RunRecord } from '../../engine/train/checkpoint-store';
import { TrainingBusyError } from '../../errors';
import type { RunSummary } from '../protocol';
import type { Session } from '../session';
import { runCurvesOf, runSettingsOf, totalStepsOf } from '../../engine/train/run-record';

export async function listRuns(session: Session): Promise<RunSummary[]> {
  const runs = await (await session.checkpoints()).listRuns();
  return runs.map((run) => summaryOf(run, session.training?.runId ?? null));
}

export async function deleteRun(session: Session, runId: string): Promise<RunSummary[]> {
  if (session.training?.runId === runId) throw new TrainingBusyError('This run is training now: stop it first, then delete it.');
  await (await session.checkpoints()).delete(runId);
  return listRuns(session);
}

function summaryOf(run: RunRecord, activeRunId: string | null): RunSummary {
  const settings = runSettingsOf(run);
  const curves = runCurvesOf(run);
  // Saved as running, but not running here: the page was reloaded or crashed during training.
  const status = run.status === 'running' && run.id !== activeRunId ? 'interrupted' : run.status;
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
