/**
 * Dataset files from the command line, read as a stream through the engine's streaming parser
 * (the same code the browser runs on a File): memory holds the table, never the file's bytes
 * plus its decoded text. Big files report progress on stderr.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import { readDatasetStream, type RawTable } from '../engine/io/datasets';
import { BadInputError } from '../errors';
import { datasetProgress, type ProgressSink } from './data-progress';

/** Files at least this big show a progress line; smaller ones read in well under a second. */
export const PROGRESS_FROM_BYTES = 8 * 1024 * 1024;
// 256 KiB: as fast as 1-4 MiB chunks on a 50 MB CSV, with a quarter less peak memory.
const CHUNK_BYTES = 256 * 1024;

export interface ReadDatasetOptions {
  /** Show progress for files of at least this many bytes (default PROGRESS_FROM_BYTES). */
  progressFromBytes?: number;
  /** Where progress goes (default process.stderr). */
  progressTo?: ProgressSink;
}

export async function readDatasetFile(path: string, options: ReadDatasetOptions = {}): Promise<RawTable> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (e) {
    throw fileError(e, path);
  }
  try {
    const stat = await handle.stat();
    // Opening a folder read-only succeeds on Linux; reading it is what fails.
    if (stat.isDirectory()) throw fileError({ code: 'EISDIR' }, path);
    const progress = stat.size >= (options.progressFromBytes ?? PROGRESS_FROM_BYTES) ? datasetProgress(path, stat.size, options.progressTo ?? process.stderr) : null;
    try {
      const table = await readDatasetStream(fileStream(handle, path), path, { totalBytes: stat.size, onProgress: progress?.update });
      progress?.done(table.rows.length);
      return table;
    } catch (e) {
      progress?.abandon();
      throw e;
    }
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/** The file's bytes in chunks; a read error becomes the same BadInputError as an open error. */
function fileStream(handle: FileHandle, path: string): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const buffer = new Uint8Array(CHUNK_BYTES);
      try {
        const { bytesRead } = await handle.read(buffer, 0, CHUNK_BYTES, null);
        if (bytesRead === 0) controller.close();
        else controller.enqueue(bytesRead === CHUNK_BYTES ? buffer : buffer.subarray(0, bytesRead));
      } catch (e) {
        controller.error(fileError(e, path));
      }
    },
  });
}

/** A file-system error on the data file, in words with what to do; anything else passes through. */
function fileError(e: unknown, path: string): unknown {
  const code = (e as NodeJS.ErrnoException).code;
  if (typeof code !== 'string') return e;
  const why: Record<string, string> = {
    ENOENT: `does not exist; check the path${isAbsolute(path) ? '' : ` (relative paths start in ${process.cwd()})`}`,
    EISDIR: 'is a folder, not a file; pass the dataset file itself (.csv, .tsv, .jsonl or .json)',
    ENOTDIR: 'is not a file: a part of the path before it is a file, not a folder; check the path',
    EACCES: "cannot be read (EACCES: permission denied); check the file's permissions",
    EPERM: "cannot be read (EPERM: operation not permitted); check the file's permissions",
  };
  return new BadInputError(path, null, why[code] ?? `cannot be read (${code}); check the path and that the file is readable`);
}
