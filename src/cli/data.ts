/** Dataset files from the command line: read, decode and parse with the engine's dataset code. */
import { readFile } from 'node:fs/promises';
import { parseDatasetBytes, type RawTable } from '../engine/io/datasets';
import { BadInputError } from '../engine/gpu/errors';

export async function readDatasetFile(path: string): Promise<RawTable> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch (e) {
    throw new BadInputError(path, null, `cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); check the path`);
  }
  return parseDatasetBytes(bytes, path);
}
