/**
 * A folder of files as the engine reads it, whatever holds it: a local folder (Node), picked or
 * dropped files, a URL, the Hugging Face Hub.
 */
import type { ByteSource } from './byte-source';

export interface DirReader {
  /** The file's bytes, or null when it does not exist. */
  read(name: string): Promise<Uint8Array | null>;
  /** Random access to a (large) file, or null when it does not exist. */
  open(name: string): Promise<ByteSource | null>;
  /** How to name the file in messages (a path in the CLI, the file name in a browser). */
  describe(name: string): string;
}
