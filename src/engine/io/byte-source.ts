/**
 * Random access to a file's bytes without loading it whole: safetensors files of hundreds of MB are
 * read one tensor at a time. Browser: a File/Blob; Node: a file handle (src/platform/node/dir-reader.ts);
 * tests: bytes in memory.
 */
export interface ByteSource {
  /** How to name the file in messages. */
  readonly name: string;
  readonly size: number;
  read(offset: number, length: number): Promise<Uint8Array>;
}

export function bytesSource(bytes: Uint8Array, name: string): ByteSource {
  return {
    name,
    size: bytes.byteLength,
    read: async (offset, length) => bytes.subarray(offset, offset + length),
  };
}

export function blobSource(blob: Blob, name: string): ByteSource {
  return {
    name,
    size: blob.size,
    read: async (offset, length) => new Uint8Array(await blob.slice(offset, offset + length).arrayBuffer()),
  };
}
