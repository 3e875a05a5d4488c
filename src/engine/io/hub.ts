/**
 * Models from the Hugging Face Hub by id, as a DirReader: config.json, tokenizer files and
 * safetensors weights are downloaded (only when the user asks for a hub model), streamed into a
 * cache with per-file progress, and read back from the cache; a second load needs no network.
 *
 * Platform-neutral: it takes a `fetch` and a `HubCache` (browser: src/platform/browser/hub-cache.ts,
 * Cache Storage; CLI: src/platform/node/hub-cache.ts, files on disk; tests: memoryHubCache below).
 *
 * Why not `@huggingface/transformers`' hub functions: its entry points load onnxruntime on import
 * (see tokenizer.ts), its loader returns whole files as bytes (we need range reads of a cached
 * Blob/file so a 500 MB checkpoint is never held twice), and it has no notion of our sharded
 * fallback. The URL layout and the cache key follow the Hub's (`resolve/<revision>/<file>`).
 */
import { BadInputError, HubDownloadError } from '../../errors';
import { blobSource, bytesSource, type ByteSource } from './byte-source';
import type { DirReader } from './dir-reader';
import { isPlainRepoPath } from './file-names';
import { checkHubToken } from './hub-token';

/** The only host this app ever contacts (LFS files may redirect to the Hub's own CDN). */
export const HUB_ORIGIN = 'https://huggingface.co';

/** A cached file: bytes, a Blob (browser Cache Storage) or a file-backed source (Node). */
export type HubCacheEntry = Blob | Uint8Array | ByteSource;

/** What a cache says about a key it knows the Hub does not have (a 404, remembered for offline use). */
export const HUB_MISSING = 'missing';

export interface HubCache {
  /** Whether entries outlive this page/process (false for the in-memory fallback). */
  readonly persistent: boolean;
  /** The cached file, HUB_MISSING when the Hub answered 404 for it, or null when not cached. */
  get(key: string): Promise<HubCacheEntry | typeof HUB_MISSING | null>;
  /**
   * Stores a file. A stream body is consumed as it arrives (never buffered whole by the caller);
   * if the stream errors (download cut short), put rejects and nothing is stored under `key`.
   */
  put(key: string, body: ReadableStream<Uint8Array> | Uint8Array): Promise<void>;
  /** Remembers that the Hub has no such file, so the fallback to the next file works offline. */
  putMissing(key: string): Promise<void>;
}

export interface HubProgress {
  file: string;
  /** Bytes received so far (of the decoded body). */
  loaded: number;
  /** Content-Length, or null when unknown (missing, or a compressed transfer). */
  total: number | null;
  /** True for the single event of a file served from the cache. */
  cached?: boolean;
}

export interface HubOptions {
  /** Defaults to the global fetch. */
  fetch?: typeof fetch;
  cache: HubCache;
  /** Branch, tag or commit; 'main' by default. */
  revision?: string;
  onProgress?: (progress: HubProgress) => void;
  /** A Hugging Face access token, for gated or private models. */
  token?: string;
  /** Cancels downloads in flight; the AbortError is passed through unchanged. */
  signal?: AbortSignal;
  /** Non-fatal problems, e.g. the cache refused a file (quota) and it was kept in memory instead. */
  onWarning?: (message: string) => void;
}

// The Hub's repo id rule (huggingface_hub's validate_repo_id), ASCII only: each part starts and ends
// with a letter, digit or '_', may hold '-' and '.', no '--' or '..', the name at most 96 chars.
const ID_PART = /^[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?$/;
const REVISION = /^[A-Za-z0-9_.-]+(?:\/[A-Za-z0-9_.-]+)*$/;
// Files we fetch: configs and tokenizer files, and safetensors weights (never .bin/.onnx/.h5/...).
const ALLOWED_EXTENSIONS = ['.json', '.txt', '.safetensors'];

/** Why `id` is not a Hub model id, or null when it is one. */
export function hubModelIdProblem(id: string): string | null {
  if (/^https?:\/\//i.test(id) || id.startsWith('huggingface.co/')) {
    return 'is a URL; give the model id instead, e.g. FacebookAI/roberta-base';
  }
  const parts = id.split('/');
  const valid =
    parts.length <= 2 &&
    parts.every((p) => ID_PART.test(p)) &&
    parts[parts.length - 1].length <= 96 &&
    !id.includes('--') &&
    !id.includes('..') &&
    !id.endsWith('.git');
  return valid
    ? null
    : "is not a Hugging Face model id: use owner/name (e.g. FacebookAI/roberta-base) or name, with letters, digits, '-', '_' and '.' only";
}

export function isHubModelId(id: string): boolean {
  return hubModelIdProblem(id) === null;
}

function checkModelId(id: string): void {
  const problem = hubModelIdProblem(id);
  if (problem) throw new BadInputError(`model id ${JSON.stringify(id)}`, null, problem);
}

function checkRevision(revision: string): void {
  if (!REVISION.test(revision) || revision.split('/').some((s) => s === '.' || s === '..') || revision.length > 255) {
    throw new BadInputError(`revision ${JSON.stringify(revision)}`, null, "is not a branch, tag or commit name: use letters, digits, '-', '_', '.' and '/' (e.g. main)");
  }
}

/** `https://huggingface.co/<id>/resolve/<revision>/<file>`, each part URL-encoded. */
export function hubFileUrl(modelId: string, revision: string, file: string): string {
  return `${HUB_ORIGIN}/${modelId}/resolve/${encodeURIComponent(revision)}/${file.split('/').map(encodeURIComponent).join('/')}`;
}

/**
 * `<id>@<revision>/<file>`; the revision is URL-encoded (so `refs/pr/1` becomes one path part and
 * the key splits unambiguously: ids never contain '@', encoded revisions never contain '/').
 */
export function hubCacheKey(modelId: string, revision: string, file: string): string {
  return `${modelId}@${encodeURIComponent(revision)}/${file}`;
}

export function hubDirReader(modelId: string, options: HubOptions): DirReader {
  checkModelId(modelId);
  const revision = options.revision ?? 'main';
  checkRevision(revision);
  // Called without a receiver: `window.fetch` throws "Illegal invocation" when called as a method of another object.
  const fetchFn: typeof fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const { cache, onProgress, token, signal, onWarning } = options;
  if (token) checkHubToken(token);
  const describe = (file: string) => `${HUB_ORIGIN}/${modelId}/blob/${encodeURIComponent(revision)}/${file}`;
  const inFlight = new Map<string, Promise<HubCacheEntry | null>>();

  function checkFile(file: string): void {
    if (!isPlainRepoPath(file) || !ALLOWED_EXTENSIONS.some((ext) => file.endsWith(ext))) {
      throw new BadInputError(
        describe(file),
        null,
        `is not a file this app downloads: only configuration and tokenizer files (.json, .txt) and .safetensors weights are fetched from the Hub (never .bin, .onnx or other formats)`,
      );
    }
  }

  /** Sends the request; null for a file the repository does not have. */
  async function request(file: string): Promise<CountedBody | null> {
    const url = hubFileUrl(modelId, revision, file);
    let response: Response;
    try {
      response = await fetchFn(url, { headers: token ? { Authorization: `Bearer ${token}` } : undefined, signal });
    } catch (e) {
      if (isAbort(e, signal)) throw e;
      throw new HubDownloadError(`Could not download ${file} of ${modelId} from ${url}: ${errorText(e)}. Check the model id and your connection.`);
    }
    const errorCode = response.headers.get('x-error-code');
    if (response.status === 404 && errorCode !== 'RepoNotFound' && errorCode !== 'RevisionNotFound') {
      await response.body?.cancel().catch(() => {});
      return null;
    }
    if (!response.ok) {
      await response.body?.cancel().catch(() => {});
      throw httpError(response.status, response.statusText, errorCode, file, url);
    }
    return countedBody(response, file, url);
  }

  function httpError(status: number, statusText: string, errorCode: string | null, file: string, url: string): Error {
    const where = `${HUB_ORIGIN}/${modelId}`;
    if (errorCode === 'RepoNotFound') {
      return new BadInputError(where, null, `the model was not found on the Hugging Face Hub (HTTP ${status}); check the model id${token ? '' : ', or log in / pass an access token if it is private'}`);
    }
    if (errorCode === 'RevisionNotFound') {
      return new BadInputError(where, null, `has no revision ${JSON.stringify(revision)} (HTTP ${status}); check the branch, tag or commit name`);
    }
    if (status === 401 || status === 403) {
      const why = token
        ? 'your access token was refused: check that it is valid, and that you have accepted the model\'s terms on its Hugging Face page'
        : 'log in to Hugging Face, accept the model\'s terms on its page if it is gated, and pass an access token (or check the model id: the Hub answers the same for a model that does not exist)';
      return new BadInputError(where, null, `the model is gated or private (HTTP ${status} for ${file}); ${why}`);
    }
    const hint = status >= 500 || status === 429 ? 'the Hub may be busy or down; try again later' : 'check the model id and your connection';
    return new HubDownloadError(`Could not download ${file} of ${modelId}: HTTP ${status}${statusText ? ` ${statusText}` : ''} from ${url}; ${hint}.`);
  }

  /** The response body, counted for progress and checked against Content-Length at its end. */
  function countedBody(response: Response, file: string, url: string): CountedBody {
    const encoding = response.headers.get('content-encoding');
    const compressed = encoding !== null && encoding !== 'identity';
    const declared = Number(response.headers.get('content-length') ?? NaN);
    let total: number | null = !compressed && Number.isSafeInteger(declared) && declared >= 0 ? declared : null;
    const reader = response.body?.getReader();
    let loaded = 0;
    let failure: Error | null = null;
    const fail = (e: Error) => (failure = e);
    onProgress?.({ file, loaded, total });
    const stream = new ReadableStream<Uint8Array>({
      async pull(controller) {
        let chunk: ReadableStreamReadResult<Uint8Array>;
        try {
          chunk = reader ? await reader.read() : { done: true, value: undefined };
        } catch (e) {
          controller.error(fail(isAbort(e, signal) ? (e as Error) : new HubDownloadError(`The download of ${file} of ${modelId} from ${url} failed after ${loaded} bytes: ${errorText(e)}. Check your connection and try again.`)));
          return;
        }
        if (chunk.done) {
          if (total !== null && loaded < total) {
            controller.error(fail(new HubDownloadError(`The download of ${file} of ${modelId} from ${url} was cut short: ${loaded} of ${total} bytes arrived. Nothing was cached; check your connection and try again.`)));
            return;
          }
          if (total !== loaded) onProgress?.({ file, loaded, total: loaded });
          controller.close();
          return;
        }
        loaded += chunk.value.byteLength;
        // More bytes than Content-Length: the transfer was compressed after all (a browser hides
        // Content-Encoding from cross-origin scripts); the size is unknown until the end.
        if (total !== null && loaded > total) total = null;
        onProgress?.({ file, loaded, total });
        controller.enqueue(chunk.value);
      },
      cancel: (reason) => reader?.cancel(reason),
    });
    return { stream, failure: () => failure, abandon: () => void reader?.cancel().catch(() => {}) };
  }

  async function download(file: string): Promise<HubCacheEntry | null> {
    const key = hubCacheKey(modelId, revision, file);
    const cached = await cache.get(key);
    if (cached === HUB_MISSING) return null;
    if (cached) {
      const size = entrySize(cached);
      onProgress?.({ file, loaded: size, total: size, cached: true });
      return cached;
    }
    const body = await request(file);
    if (!body) {
      await cache.putMissing(key).catch((e) => onWarning?.(`Could not remember in the cache that ${modelId} has no ${file}: ${errorText(e)}`));
      return null;
    }
    try {
      await cache.put(key, body.stream);
    } catch (e) {
      const failure = body.failure();
      if (failure) throw failure;
      if (isAbort(e, signal)) throw e;
      // The download was fine but the cache refused it (quota, read-only disk): keep it in memory.
      body.abandon();
      onWarning?.(`Could not store ${file} of ${modelId} in the cache (${errorText(e)}); downloading it again and keeping it in memory only.`);
      const again = await request(file);
      if (!again) return null;
      const memory = memoryHubCache();
      try {
        await memory.put(key, again.stream);
      } catch (e2) {
        throw again.failure() ?? e2;
      }
      return (await memory.get(key)) as HubCacheEntry;
    }
    const stored = await cache.get(key);
    if (!stored || stored === HUB_MISSING) throw new HubDownloadError(`The cache lost ${file} of ${modelId} right after storing it; try again.`);
    return stored;
  }

  function load(file: string): Promise<HubCacheEntry | null> {
    checkFile(file);
    let pending = inFlight.get(file);
    if (!pending) {
      pending = download(file).finally(() => inFlight.delete(file));
      inFlight.set(file, pending);
    }
    return pending;
  }

  return {
    async read(name) {
      const entry = await load(name);
      return entry ? entryBytes(entry) : null;
    },
    async open(name) {
      const entry = await load(name);
      return entry ? entrySource(entry, describe(name)) : null;
    },
    describe,
  };
}

interface CountedBody {
  stream: ReadableStream<Uint8Array>;
  /** The download's own error (network, cut short), as opposed to the cache's. */
  failure: () => Error | null;
  /** Closes the connection when the cache gave up on the stream without reading it to the end. */
  abandon: () => void;
}

function entrySize(entry: HubCacheEntry): number {
  return entry instanceof Uint8Array ? entry.byteLength : entry.size;
}

async function entryBytes(entry: HubCacheEntry): Promise<Uint8Array> {
  if (entry instanceof Uint8Array) return entry;
  if (isBlob(entry)) return new Uint8Array(await entry.arrayBuffer());
  return entry.read(0, entry.size);
}

function entrySource(entry: HubCacheEntry, name: string): ByteSource {
  if (entry instanceof Uint8Array) return bytesSource(entry, name);
  if (isBlob(entry)) return blobSource(entry, name);
  const source = entry;
  return { name, size: source.size, read: (offset, length) => source.read(offset, length) };
}

function isBlob(entry: HubCacheEntry): entry is Blob {
  return typeof Blob !== 'undefined' && entry instanceof Blob;
}

function isAbort(e: unknown, signal: AbortSignal | undefined): boolean {
  return (signal?.aborted ?? false) || (e as Error | null)?.name === 'AbortError';
}

function errorText(e: unknown): string {
  const error = e as Error & { cause?: { message?: string; code?: string } };
  const cause = error?.cause?.code ?? error?.cause?.message;
  const message = error?.message ?? String(e);
  return cause && !message.includes(cause) ? `${message} (${cause})` : message;
}

/**
 * Entries in memory: tests, and the fallback where no persistent cache is available. Streams are
 * collected into a Blob (which a browser may page to disk) rather than one concatenated copy.
 */
export function memoryHubCache(): HubCache & { keys(): string[] } {
  const entries = new Map<string, HubCacheEntry | typeof HUB_MISSING>();
  return {
    persistent: false,
    get: async (key) => entries.get(key) ?? null,
    async put(key, body) {
      if (body instanceof Uint8Array) {
        entries.set(key, body.slice());
        return;
      }
      const chunks: Uint8Array[] = [];
      const reader = body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        chunks.push(value);
      }
      entries.set(key, new Blob(chunks as BlobPart[]));
    },
    putMissing: async (key) => void entries.set(key, HUB_MISSING),
    keys: () => [...entries.keys()],
  };
}
