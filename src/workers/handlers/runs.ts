/** listRuns / deleteRun: the runs saved in IndexedDB, summarised (no checkpoint tensors, the curve's last loss only). */
import type { RunRecord } from '../../engine/train/checkpoint-store';
import { TrainingBusyError } from '../../errors';
import type { RunSummary } from '../protocol';
import type { Session } from '../session';
import { runCurvesOf, runSettingsOf } from './train';

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
    totalSteps: settings?.engine.steps ?? null,
    status,
    lastLoss: curves.loss.at(-1)?.loss ?? null,
    metrics: curves.metrics,
    error: curves.error,
    settings,
    resumable: settings !== null && status !== 'finished' && status !== 'running',
  };
}
