/** DirReader over a local folder (Node); large files are read in ranges through a file handle. */
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BadInputError } from '../../errors';
import type { DirReader } from '../../engine/io/dir-reader';
import type { ByteSource } from '../../engine/io/byte-source';

export function nodeDirReader(dir: string): DirReader {
  return {
    async read(name) {
      try {
        return new Uint8Array(await readFile(join(dir, name)));
      } catch (e) {
        return missingOrUnreadable(e, dir, name);
      }
    },
    async open(name) {
      try {
        return await nodeFileSource(join(dir, name));
      } catch (e) {
        return missingOrUnreadable(e, dir, name);
      }
    },
    describe: (name) => join(dir, name),
  };
}

/** null for a file that is not there; a BadInputError for one that cannot be read (or a folder that is a file). */
function missingOrUnreadable(e: unknown, dir: string, name: string): null {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return null;
  if (code === 'ENOTDIR') throw new BadInputError(dir, null, 'is not a folder; pass the folder that holds config.json and the weights');
  if (code === 'EISDIR') throw new BadInputError(join(dir, name), null, 'is a folder, not a file; the model folder should hold the file itself');
  if (code === 'EACCES' || code === 'EPERM') throw new BadInputError(join(dir, name), null, `cannot be read (${code}: permission denied); check the file's permissions`);
  throw e;
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
