/**
 * HubCache over the browser's Cache Storage (available in pages and workers on secure origins).
 * Downloads are stored as Responses while they stream, and read back as disk-backed Blobs, so a
 * 500 MB checkpoint is never held in memory, let alone twice. Where Cache Storage is missing
 * (plain-http origin, some private modes) it falls back to memory: `persistent` is then false.
 */
import { HUB_MISSING, memoryHubCache, type HubCache } from '../../engine/io/hub';

export const HUB_CACHE_NAME = 'light-peft-hub-v1';

// Cache Storage keys are http(s) URLs; a reserved host (never contacted: Cache.put does not fetch)
// keeps hub files apart from anything else and stable wherever the app is served from.
const KEY_ORIGIN = 'https://hub-cache.light-peft.invalid/';
const MISSING_HEADER = 'x-light-peft-missing';

function keyUrl(key: string): string {
  return KEY_ORIGIN + key.split('/').map(encodeURIComponent).join('/');
}

export async function browserHubCache(storage: CacheStorage | undefined = globalThis.caches): Promise<HubCache> {
  let cache: Cache;
  try {
    if (!storage) throw new Error('Cache Storage is not available');
    cache = await storage.open(HUB_CACHE_NAME);
  } catch {
    return memoryHubCache();
  }
  return {
    persistent: true,
    async get(key) {
      const response = await cache.match(keyUrl(key));
      if (!response) return null;
      if (response.headers.get(MISSING_HEADER)) return HUB_MISSING;
      return response.blob();
    },
    async put(key, body) {
      // Cache.put reads the whole body before committing; if the stream errors, it rejects and stores nothing.
      const init = { headers: { 'content-type': 'application/octet-stream' } };
      await cache.put(keyUrl(key), new Response(body instanceof Uint8Array ? new Blob([body as BlobPart]) : body, init));
    },
    async putMissing(key) {
      await cache.put(keyUrl(key), new Response('', { headers: { [MISSING_HEADER]: '1' } }));
    },
  };
}

/** Deletes every downloaded hub file (a "clear downloads" button). */
export async function clearBrowserHubCache(storage: CacheStorage | undefined = globalThis.caches): Promise<boolean> {
  return storage ? storage.delete(HUB_CACHE_NAME) : false;
}
