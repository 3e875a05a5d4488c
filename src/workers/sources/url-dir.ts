/**
 * DirReader over a folder on the app's own server (the built-in demo model). Large files are
 * fetched once into a Blob and read in ranges from there.
 */
import type { DirReader } from '../../engine/io/dir-reader';
import { blobSource, type ByteSource } from '../../engine/io/byte-source';
import { fetchIfPresent, readBodyWithProgress, type ByteProgress } from './fetch-bytes';

export interface UrlDirReader extends DirReader {
  /** Files that were fetched, with their sizes. */
  readonly used: Map<string, number>;
}

/** `baseUrl` ends with "/"; `shownPrefix` names files in messages ("demo/model/"). */
export function urlDirReader(baseUrl: string, shownPrefix: string, onProgress?: ByteProgress): UrlDirReader {
  const blobs = new Map<string, Promise<Blob | null>>();
  const used = new Map<string, number>();
  const describe = (name: string) => shownPrefix + name;
  const blobOf = (name: string): Promise<Blob | null> => {
    let blob = blobs.get(name);
    if (!blob) {
      blob = (async () => {
        const response = await fetchIfPresent(new URL(name, baseUrl).href, describe(name));
        if (!response) return null;
        const body = await readBodyWithProgress(response, describe(name), onProgress);
        used.set(describe(name), body.size);
        return body;
      })();
      blobs.set(name, blob);
    }
    return blob;
  };
  return {
    used,
    describe,
    async read(name) {
      const blob = await blobOf(name);
      return blob ? new Uint8Array(await blob.arrayBuffer()) : null;
    },
    async open(name): Promise<ByteSource | null> {
      const blob = await blobOf(name);
      return blob ? blobSource(blob, describe(name)) : null;
    },
  };
}
