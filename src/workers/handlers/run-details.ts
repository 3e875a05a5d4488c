/** runDetails: a saved run's settings, curves, metrics and (Light-PEFT) prune, for the Results screen. */
import { runCurvesOf, runSettingsOf } from '../../engine/train/run-record';
import { NotReadyError } from '../../errors';
import type { RunDetails } from '../protocol';
import type { Session } from '../session';

export async function runDetails(session: Session, runId: string): Promise<RunDetails> {
  const run = (await (await session.checkpoints()).listRuns()).find((r) => r.id === runId);
  if (!run) throw new NotReadyError('This run is not saved in this browser (it was deleted, or never saved): pick one from the list of runs.');
  const curves = runCurvesOf(run);
  return { id: run.id, name: run.name, settings: runSettingsOf(run), loss: curves.loss, evaluations: curves.evaluations, metrics: curves.metrics, pruned: curves.pruned ?? null };
}
