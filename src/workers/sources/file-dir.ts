/**
 * DirReader over files the user picked or dropped (File objects, read in ranges through
 * `blobSource`, never whole into memory). Files are looked up by their path inside the chosen
 * folder, else by base name (the shallowest wins), so a dropped folder, the folder's files, or a
 * folder with sub-folders all work.
 */
import type { DirReader } from '../../engine/io/dir-reader';
import { blobSource, type ByteSource } from '../../engine/io/byte-source';
import type { PickedFile } from '../protocol';

export interface FileDirReader extends DirReader {
  /** The folder's name when every file sits in one ("my-model"), else null. */
  readonly folderName: string | null;
  /** Files that were opened or read, with their sizes. */
  readonly used: Map<string, number>;
}

export function fileDirReader(picked: readonly PickedFile[]): FileDirReader {
  const entries = picked.map(({ path, file }) => ({ parts: splitPath(path || file.name), file }));
  // A common first folder ("my-model/…") is the root: names are looked up below it.
  const first = entries[0]?.parts[0];
  const sharedRoot = entries.length > 0 && entries.every((e) => e.parts.length > 1 && e.parts[0] === first) ? first : null;
  const relative = entries.map((e) => ({ path: (sharedRoot ? e.parts.slice(1) : e.parts).join('/'), file: e.file }));
  const used = new Map<string, number>();

  const find = (name: string): { path: string; file: File } | null => {
    const wanted = splitPath(name).join('/');
    const exact = relative.find((e) => e.path === wanted);
    if (exact) return exact;
    const base = wanted.split('/').pop()!;
    const byBase = relative.filter((e) => e.path.split('/').pop() === base);
    byBase.sort((a, b) => a.path.split('/').length - b.path.split('/').length);
    return byBase[0] ?? null;
  };
  const shown = (path: string) => (sharedRoot ? `${sharedRoot}/${path}` : path);

  return {
    folderName: sharedRoot,
    used,
    async read(name) {
      const hit = find(name);
      if (!hit) return null;
      used.set(shown(hit.path), hit.file.size);
      return new Uint8Array(await hit.file.arrayBuffer());
    },
    async open(name): Promise<ByteSource | null> {
      const hit = find(name);
      if (!hit) return null;
      used.set(shown(hit.path), hit.file.size);
      return blobSource(hit.file, shown(hit.path));
    },
    describe(name) {
      const hit = find(name);
      return hit ? shown(hit.path) : sharedRoot ? `${sharedRoot}/${name}` : name;
    },
  };
}

function splitPath(path: string): string[] {
  return path.split(/[\\/]+/).filter((p) => p !== '' && p !== '.');
}
