/**
 * loadData: stream the training (and optional validation) file through the parser, guess the
 * columns and keep the tables; chooseColumns then turns them into examples.
 */
import { guessColumns, preview, readDatasetStream, type RawTable } from '../../engine/io/datasets';
import { DemoNotBuiltError } from '../../errors';
import type { DataFileSummary, DataSource, DataTables } from '../protocol';
import type { ProgressReporter, Session } from '../session';
import { contentLength, fetchIfPresent } from '../sources/fetch-bytes';
import { refuseWhileTraining } from './busy';

export const DEMO_DATA_FOLDER = 'demo/data/';
const PREVIEW_ROWS = 5;

interface ParsedFile {
  table: RawTable;
  summary: DataFileSummary;
}

export async function loadData(session: Session, source: DataSource, progress: ProgressReporter): Promise<DataTables> {
  refuseWhileTraining(session, 'load other data');
  let train: ParsedFile;
  let validation: ParsedFile | null;
  if (source.kind === 'demo') {
    train = await parseDemoFile(source.url, 'train.csv', 'train', progress);
    validation = await parseDemoFile(source.url, 'validation.csv', 'validation', progress);
  } else {
    train = await parseFile(source.train, 'train', progress);
    validation = source.validation ? await parseFile(source.validation, 'validation', progress) : null;
  }
  const guess = guessColumns(train.table);
  session.data = {
    train: train.table,
    validation: validation?.table ?? null,
    files: [train.summary, ...(validation ? [validation.summary] : [])],
    origin: source.kind === 'demo' ? { kind: 'demo' } : { kind: 'files', train: source.train.name, validation: source.validation?.name ?? null },
    examples: null,
  };
  return {
    files: session.data.files,
    columns: [...train.table.columns],
    guess,
    previewTrain: preview(train.table, PREVIEW_ROWS),
    previewValidation: validation ? preview(validation.table, PREVIEW_ROWS) : null,
  };
}

async function parseFile(file: File, role: DataFileSummary['role'], progress: ProgressReporter): Promise<ParsedFile> {
  const table = await readDatasetStream(file.stream(), file.name, {
    totalBytes: file.size,
    onProgress: (p) => progress(file.name, p.bytes ?? 0, file.size),
  });
  return { table, summary: summaryOf(table, role, file.size) };
}

async function parseDemoFile(baseUrl: string, name: string, role: DataFileSummary['role'], progress: ProgressReporter): Promise<ParsedFile> {
  const shown = DEMO_DATA_FOLDER + name;
  const response = await fetchIfPresent(new URL(name, baseUrl).href, shown);
  if (!response?.body) {
    throw new DemoNotBuiltError(`The built-in demo data is missing: ${shown} is not on this server. Make it with tools/demo/make-dataset.ts and rebuild the app, or load your own files.`);
  }
  const total = contentLength(response);
  let bytes = 0;
  const table = await readDatasetStream(response.body, shown, {
    totalBytes: total ?? undefined,
    onProgress: (p) => progress(shown, (bytes = p.bytes ?? 0), total),
  });
  return { table, summary: summaryOf(table, role, total ?? bytes) };
}

function summaryOf(table: RawTable, role: DataFileSummary['role'], bytes: number): DataFileSummary {
  return { role, name: table.file, bytes, rows: table.rows.length, format: table.format };
}
