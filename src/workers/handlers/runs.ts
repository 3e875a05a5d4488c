/** listRuns / deleteRun: the runs saved in IndexedDB, without their (large) settings and curves. */
import type { RunRecord } from '../../engine/io/checkpoints';
import type { RunSummary } from '../protocol';
import type { Session } from '../session';

export async function listRuns(session: Session): Promise<RunSummary[]> {
  const runs = await (await session.checkpoints()).listRuns();
  return runs.map(summaryOf);
}

export async function deleteRun(session: Session, runId: string): Promise<RunSummary[]> {
  await (await session.checkpoints()).delete(runId);
  return listRuns(session);
}

function summaryOf(run: RunRecord): RunSummary {
  return { id: run.id, name: run.name, createdAt: run.createdAt, updatedAt: run.updatedAt, step: run.step, status: run.status };
}
