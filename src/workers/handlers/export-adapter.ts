/** exportAdapter: the loaded model's PEFT weights and head in HF PEFT layout, zipped for a download. */
import { exportPeftAdapter, zipFiles } from '../../engine/io/export';
import { NotReadyError } from '../errors';
import type { Session } from '../session';
import { refuseWhileTraining } from './busy';

export async function exportAdapter(session: Session): Promise<{ fileName: string; bytes: Uint8Array }> {
  refuseWhileTraining(session, 'export the adapter');
  const loaded = session.model;
  if (!loaded) throw new NotReadyError('Load a model first: the export holds its adapter.');
  const files = await exportPeftAdapter(loaded.model, { baseModel: loaded.baseModelName });
  const folder = `${slug(loaded.summary.name)}-${loaded.summary.peft.startsWith('LoRA') ? 'lora' : 'adapter'}`;
  return { fileName: `${folder}.zip`, bytes: zipFiles(files, folder) };
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
