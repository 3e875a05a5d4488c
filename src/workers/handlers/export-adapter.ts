/** exportAdapter: the loaded model's PEFT weights and head in HF PEFT layout, zipped for a download. */
import { exportPeftAdapter, zipFiles, type ExportedFile } from '../../engine/export/export';
import type { RunRecord } from '../../engine/train/checkpoint-store';
import { NotReadyError } from '../../errors';
import type { Session } from '../session';
import { refuseWhileTraining } from './busy';
import { runCurvesOf } from '../../engine/train/run-record';
import { evaluationsCsv, lossCurveCsv } from '../../engine/train/curves-csv';

export async function exportAdapter(session: Session): Promise<{ fileName: string; bytes: Uint8Array }> {
  refuseWhileTraining(session, 'export the adapter');
  const loaded = session.model;
  if (!loaded) throw new NotReadyError('Load a model first: the export holds its adapter.');
  const files = await exportPeftAdapter(loaded.model, { baseModel: loaded.baseModelName, revision: loaded.baseModelRevision });
  const run = session.lastRun;
  if (run) files.push(...trainingReportFiles(run));
  const folder = `${slug(loaded.summary.name)}-${loaded.summary.peft.startsWith('LoRA') ? 'lora' : 'adapter'}`;
  return { fileName: `${folder}.zip`, bytes: zipFiles(files, folder) };
}

/**
 * The training report beside the adapter, as the CLI writes it: report.json (the run's settings,
 * loss curve, validation evaluations and final metrics), curves.csv (the loss) and evaluations.csv.
 */
function trainingReportFiles(run: RunRecord): ExportedFile[] {
  const curves = runCurvesOf(run);
  const encode = (text: string) => new TextEncoder().encode(text);
  const report = {
    name: run.name,
    status: run.status,
    step: run.step,
    createdAt: new Date(run.createdAt).toISOString(),
    updatedAt: new Date(run.updatedAt).toISOString(),
    settings: run.settings,
    loss: curves.loss,
    evaluations: curves.evaluations,
    metrics: curves.metrics,
  };
  return [
    { name: 'report.json', bytes: encode(JSON.stringify(report, null, 2) + '\n') },
    { name: 'curves.csv', bytes: encode(lossCurveCsv(curves.loss)) },
    { name: 'evaluations.csv', bytes: encode(evaluationsCsv(curves.evaluations)) },
  ];
}

/** A file-name-safe version of a model name ("FacebookAI/roberta-base" → "roberta-base"). */
export function slug(name: string): string {
  const last = name.split('/').pop() ?? name;
  return (
    last
      .toLowerCase()
      .replace(/[^a-z0-9._-]+/g, '-')
      .replace(/^-+|-+$/g, '') || 'model'
  );
}
