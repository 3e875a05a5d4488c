/**
 * A DirReader for each place a model can come from: the app's demo folder, picked files, or the
 * Hub. Every reader stops at its next read once the load's signal is aborted (hub.ts also aborts
 * its downloads in flight).
 */
import type { DirReader } from '../../engine/io/dir-reader';
import { hubDirReader } from '../../engine/io/hub';
import { browserHubCache } from '../../platform/browser/hub-cache';
import type { ByteSource } from '../../engine/io/byte-source';
import { DemoNotBuiltError } from '../../errors';
import type { ModelSource } from '../protocol';
import type { ProgressReporter } from '../session';
import { fileDirReader } from '../sources/file-dir';
import { urlDirReader } from '../sources/url-dir';
import { parseHubRef } from './hub-ref';

export interface ModelReader {
  reader: DirReader;
  /** How the model is named in the UI. */
  name: string;
  /** base_model_name_or_path for exports. */
  baseModelName: string | null;
  /** The Hub revision asked for (none: main), for exports. */
  baseModelRevision?: string;
  /** The files read so far, with their sizes. */
  files(): { name: string; bytes: number }[];
}

export const DEMO_MODEL_FOLDER = 'demo/model/';
/** The name of picked model files that do not sit in one folder. */
export const FILES_WITHOUT_FOLDER = 'Model files';

/** Added to the Hub's 401/403 message when no token was given: where this app takes one. */
export const TOKEN_HINT = 'In this app: open “Private or gated model?” under the Hub id, paste an access token (huggingface.co/settings/tokens) and click Load again.';

export async function modelReader(source: ModelSource, progress: ProgressReporter, signal?: AbortSignal): Promise<ModelReader> {
  const found = await sourceReader(source, progress, signal);
  return { ...found, reader: stoppable(found.reader, signal) };
}

async function sourceReader(source: ModelSource, progress: ProgressReporter, signal: AbortSignal | undefined): Promise<ModelReader> {
  switch (source.kind) {
    case 'demo': {
      const reader = urlDirReader(source.url, DEMO_MODEL_FOLDER, progress);
      if (!(await reader.read('config.json'))) {
        throw new DemoNotBuiltError(
          `The built-in demo model is not built yet: ${DEMO_MODEL_FOLDER}config.json is not on this server. ` +
            'Build it with the script in tools/demo/ (see the README) and rebuild the app, or load a model folder or a Hub model instead.',
        );
      }
      return { reader, name: 'Built-in demo model', baseModelName: null, files: () => sizes(reader.used) };
    }
    case 'files': {
      const reader = countingReads(fileDirReader(source.files), progress);
      const name = reader.folderName ?? FILES_WITHOUT_FOLDER;
      return { reader, name, baseModelName: reader.folderName, files: () => sizes(reader.used) };
    }
    case 'hub': {
      const { modelId, revision } = parseHubRef(source.modelId);
      const token = source.token?.trim() || undefined;
      const sizesSeen = new Map<string, number>();
      let refused = false;
      const reader = hubDirReader(modelId, {
        cache: await browserHubCache(),
        revision,
        token,
        signal,
        // Called without a receiver (a worker's fetch throws "Illegal invocation" otherwise).
        fetch: async (input, init) => {
          const response = await globalThis.fetch(input, init);
          if (response.status === 401 || response.status === 403) refused = true;
          return response;
        },
        onProgress: ({ file, loaded, total, cached }) => {
          sizesSeen.set(file, total ?? loaded);
          progress(file, loaded, total, cached);
        },
      });
      const name = revision === undefined ? modelId : `${modelId}@${revision}`;
      const hinted = token ? reader : withTokenHint(reader, () => refused);
      return { reader: hinted, name, baseModelName: modelId, baseModelRevision: revision, files: () => sizes(sizesSeen) };
    }
  }
}

function sizes(used: Map<string, number>): { name: string; bytes: number }[] {
  return [...used].map(([name, bytes]) => ({ name, bytes }));
}

/**
 * Reports the bytes read from each opened file as it is uploaded: a local checkpoint of hundreds
 * of MB takes a while to reach the GPU even though nothing is downloaded.
 */
function countingReads<R extends DirReader>(reader: R, progress: ProgressReporter): R {
  return {
    ...reader,
    async open(name: string): Promise<ByteSource | null> {
      const source = await reader.open(name);
      if (!source) return null;
      let loaded = 0;
      return {
        name: source.name,
        size: source.size,
        async read(offset, length) {
          const bytes = await source.read(offset, length);
          loaded = Math.min(source.size, loaded + bytes.byteLength);
          progress(source.name, loaded, source.size);
          return bytes;
        },
      };
    },
  };
}

/** Checks the signal around every read, so a load of cached, local or demo files stops at its next chunk. */
function stoppable<R extends DirReader>(reader: R, signal: AbortSignal | undefined): R {
  if (!signal) return reader;
  const check = () => signal.throwIfAborted();
  return {
    ...reader,
    async read(name: string) {
      check();
      const bytes = await reader.read(name);
      check();
      return bytes;
    },
    async open(name: string): Promise<ByteSource | null> {
      check();
      const source = await reader.open(name);
      check();
      if (!source) return null;
      return {
        name: source.name,
        size: source.size,
        read(offset, length) {
          check();
          return source.read(offset, length);
        },
      };
    },
  };
}

/**
 * The Hub answered 401/403 and no token was given: says where the token goes in this app (hub.ts's
 * message is written for any caller). Keyed on the HTTP status, not on the message's wording.
 */
function withTokenHint(reader: DirReader, refused: () => boolean): DirReader {
  const hinted = (e: unknown) => {
    if (refused() && e instanceof Error && !e.message.endsWith(TOKEN_HINT)) e.message += `${/[.!?]$/.test(e.message) ? '' : '.'} ${TOKEN_HINT}`;
    return e;
  };
  return {
    describe: (name) => reader.describe(name),
    read: (name) => reader.read(name).catch((e: unknown) => Promise.reject(hinted(e))),
    open: (name) => reader.open(name).catch((e: unknown) => Promise.reject(hinted(e))),
  };
}
