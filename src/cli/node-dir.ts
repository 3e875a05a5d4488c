/** DirReader over a local folder (Node). */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DirReader } from '../engine/io/model-dir';

export function nodeDirReader(dir: string): DirReader {
  return {
    async read(name) {
      try {
        return new Uint8Array(await readFile(join(dir, name)));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw e;
      }
    },
    describe: (name) => join(dir, name),
  };
}
