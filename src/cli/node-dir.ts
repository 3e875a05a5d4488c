/** DirReader over a local folder (Node); large files are read in ranges through a file handle. */
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DirReader } from '../engine/io/model-dir';
import type { ByteSource } from '../engine/io/byte-source';

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
    async open(name) {
      try {
        return await nodeFileSource(join(dir, name));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw e;
      }
    },
    describe: (name) => join(dir, name),
  };
}

/** Reads byte ranges of a file on demand; each read opens and closes the file, so nothing leaks. */
export async function nodeFileSource(path: string): Promise<ByteSource> {
  const handle = await open(path, 'r');
  const { size } = await handle.stat();
  await handle.close();
  return {
    name: path,
    size,
    async read(offset, length) {
      const file = await open(path, 'r');
      try {
        const out = new Uint8Array(length);
        let done = 0;
        while (done < length) {
          const { bytesRead } = await file.read(out, done, length - done, offset + done);
          if (bytesRead === 0) throw new Error(`${path}: unexpected end of file at byte ${offset + done}`);
          done += bytesRead;
        }
        return out;
      } finally {
        await file.close();
      }
    },
  };
}
