/**
 * A saved run resumes only on what it was trained with: the same model files and shape, the same
 * data files, columns and split, giving the same labels and examples. Each refusal says what to
 * load again, and where (the app's numbered sections: 1 Model, 2 Data).
 */
import { NotReadyError } from './errors';
import type { ColumnSettings, DataFileSummary, DataOrigin, ModelShape, RunSettings } from './run-record';

/** The loaded model, as a resume compares it with the run's. */
export interface ModelIdentity {
  name: string;
  files: { name: string; bytes: number }[];
  shape: ModelShape;
}

/** The loaded data with its chosen columns, as a resume compares it with the run's. */
export interface DataIdentity {
  origin: DataOrigin;
  files: DataFileSummary[];
  hasValidationFile: boolean;
  columns: ColumnSettings;
  /** The labels the head would train on with this data (labelsFor). */
  id2label: string[];
  trainCount: number;
}

/** The weights files by base name and size: the same model, wherever it was loaded from. */
function weightFiles(files: { name: string; bytes: number }[]): string {
  return files
    .filter((f) => /\.safetensors$|config\.json$/.test(f.name))
    .map((f) => `${f.name.split('/').pop()}:${f.bytes}`)
    .sort()
    .join(',');
}

export function checkSameModel(loaded: ModelIdentity, settings: RunSettings): void {
  const shape = (s: ModelShape) => JSON.stringify([s.layers, s.hidden, s.heads, s.intermediate, s.vocabSize]);
  const same = shape(loaded.shape) === shape(settings.model.shape) && weightFiles(loaded.files) === weightFiles(settings.model.files);
  if (!same) throw new NotReadyError(`${needModel(settings)} (now “${loaded.name}” is loaded), then Resume.`);
}

export function checkSameData(data: DataIdentity, settings: RunSettings): void {
  const key = (files: DataFileSummary[]) => files.map((f) => `${f.role}:${f.name}:${f.bytes}:${f.rows}`).join(',');
  if (key(data.files) !== key(settings.data.files)) throw new NotReadyError(`${needData(settings)} (now ${dataName(data.origin)} is loaded), then Resume.`);
  const want = settings.data.columns;
  const columns = (c: ColumnSettings) =>
    JSON.stringify([c.columns.text, c.columns.textPair ?? null, c.columns.label, data.hasValidationFile ? null : [c.validationFraction, c.seed]]);
  if (columns(data.columns) !== columns(want)) {
    const split = data.hasValidationFile ? '' : `, ${Math.round(want.validationFraction * 1000) / 10}% held out with seed ${want.seed}`;
    throw new NotReadyError(
      `This run used the columns text “${want.columns.text}”${want.columns.textPair ? `, pair “${want.columns.textPair}”` : ''}, label “${want.columns.label}”${split}: choose them again in 2 Data, then Resume.`,
    );
  }
  if (data.id2label.join('\n') !== settings.id2label.join('\n') || data.trainCount !== settings.data.trainCount) {
    throw new NotReadyError(`The loaded data does not give the examples this run was trained on (labels ${settings.id2label.join(', ')}; ${settings.data.trainCount} training examples); load the data it used, then Resume.`);
  }
}

/** What to load to resume a run, in words (without the closing “then Resume”). */
export function needModel(settings: RunSettings): string {
  const { origin, name } = settings.model;
  if (origin.kind === 'demo') return 'This run trained the built-in demo model: load it in 1 Model';
  if (origin.kind === 'hub') return `This run trained the Hub model ${origin.modelId}: load it again in 1 Model (it comes from this browser's cache)`;
  return `This run trained the model ${origin.folderName ? `folder “${origin.folderName}”` : `files “${name}”`} from this computer: a page cannot reopen local files after a reload, so choose ${origin.folderName ? 'that folder' : 'those files'} again in 1 Model`;
}

export function needData(settings: RunSettings): string {
  const { origin } = settings.data;
  if (origin.kind === 'demo') return 'This run trained on the built-in demo data: load it in 2 Data';
  return `This run trained on ${origin.validation ? `“${origin.train}” with “${origin.validation}”` : `“${origin.train}”`} from this computer: choose ${origin.validation ? 'those files' : 'that file'} again in 2 Data`;
}

/** Data in a few words: "demo data" or the training file's name. */
export function dataName(origin: DataOrigin): string {
  return origin.kind === 'demo' ? 'demo data' : origin.train;
}
