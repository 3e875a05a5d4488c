/**
 * HubCache on disk for the CLI: `${XDG_CACHE_HOME ?? ~/.cache}/light-peft/hub/<model>/<revision>/<file>`,
 * where <model> is the id with '/' written as '--' (as in HF's own cache; ids never contain '--',
 * so `a/b` + revision `c` and `a` + revision `b` cannot meet) and the revision is URL-encoded.
 * Downloads stream into a temp file beside the target and are renamed into place only when
 * complete, so an interrupted download never leaves a file that looks cached. Cached files are
 * returned as file-backed sources (read in ranges), never loaded whole.
 */
import { mkdir, open, rename, rm, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, resolve, sep } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { HUB_MISSING, isHubModelId, type HubCache } from '../../engine/io/hub';
import { nodeFileSource } from './dir-reader';

const MISSING_SUFFIX = '.missing';

export function defaultHubCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'light-peft', 'hub');
}

export function nodeHubCache(root: string = defaultHubCacheDir()): HubCache & { root: string } {
  const base = resolve(root);

  /** `<id>@<encoded revision>/<file>` → `<root>/<owner--name>/<encoded revision>/<file>`, never outside root. */
  function pathOf(key: string): string {
    const match = /^([^@]+)@([^/]+)\/(.+)$/.exec(key);
    const parts = match ? [match[1].replace('/', '--'), match[2], ...match[3].split('/')] : [];
    if (!match || !isHubModelId(match[1]) || parts.some((p) => p === '' || p === '.' || p === '..' || /[\\/]/.test(p))) {
      throw new Error(`hub cache: malformed key ${JSON.stringify(key)}`);
    }
    const path = resolve(base, ...parts);
    if (!path.startsWith(base + sep)) throw new Error(`hub cache: key ${JSON.stringify(key)} points outside ${base}`);
    return path;
  }

  async function isFile(path: string): Promise<boolean> {
    try {
      return (await stat(path)).isFile();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw e;
    }
  }

  /** Writes through a temp file and renames it into place; on any failure the temp file is removed. */
  async function writeAtomically(path: string, write: (file: FileHandle) => Promise<void>): Promise<void> {
    await mkdir(dirname(path), { recursive: true });
    const temp = `${path}.${process.pid}-${randomUUID()}.tmp`;
    const file = await open(temp, 'wx');
    try {
      await write(file);
      await file.sync();
      await file.close();
      await rename(temp, path);
    } catch (e) {
      await file.close().catch(() => {});
      await rm(temp, { force: true });
      throw e;
    }
  }

  return {
    root: base,
    persistent: true,
    async get(key) {
      const path = pathOf(key);
      if (await isFile(path)) return nodeFileSource(path);
      return (await isFile(path + MISSING_SUFFIX)) ? HUB_MISSING : null;
    },
    async put(key, body) {
      const path = pathOf(key);
      if (body instanceof Uint8Array) {
        await writeAtomically(path, async (file) => writeAll(file, body));
      } else {
        const reader = body.getReader();
        try {
          await writeAtomically(path, async (file) => {
            for (;;) {
              const { done, value } = await reader.read();
              if (done) return;
              await writeAll(file, value);
            }
          });
        } catch (e) {
          await reader.cancel(e).catch(() => {});
          throw e;
        }
      }
      await rm(path + MISSING_SUFFIX, { force: true });
    },
    async putMissing(key) {
      const path = pathOf(key);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path + MISSING_SUFFIX, '');
    },
  };
}

async function writeAll(file: FileHandle, bytes: Uint8Array): Promise<void> {
  let done = 0;
  while (done < bytes.byteLength) {
    const { bytesWritten } = await file.write(bytes, done, bytes.byteLength - done);
    done += bytesWritten;
  }
}
