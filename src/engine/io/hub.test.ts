/**
 * Hub downloads against a fake hub (a map of file → bytes or status; no network): the model and
 * tokenizer fixtures are served as a hub repository and read through readModelDir /
 * readTokenizerDir, the way the app reads a local folder.
 */
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BadInputError, HubDownloadError } from '../../errors';
import { readModelDir } from '../model/model-dir';
import { readTokenizerDir } from './tokenizer-dir';
import { parseSafetensors, readTensorF32, writeSafetensors } from './safetensors';
import { isPlainRepoPath } from './file-names';
import { runs } from '../../../test/fuzz-seed';
import { HUB_MISSING, hubCacheKey, hubDirReader, isHubModelId, memoryHubCache, type HubCache, type HubProgress } from './hub';
import { HUB_CACHE_NAME, browserHubCache } from '../../platform/browser/hub-cache';
import { defaultHubCacheDir, nodeHubCache } from '../../platform/node/hub-cache';

const FIXTURES = join(__dirname, '../../../test/fixtures');
const fixture = (dir: string, name: string) => new Uint8Array(readFileSync(join(FIXTURES, dir, name)));
const MODEL_ID = 'test-owner/tiny-roberta';
const modelFiles = () => ({ 'config.json': fixture('lora-awkward', 'config.json'), 'model.safetensors': fixture('lora-awkward', 'model.safetensors') });

type FakeFile =
  | Uint8Array
  | { status: number; errorCode?: string }
  | { bytes: Uint8Array; cutAfter: number } // Content-Length of the whole, but the body stops early
  | { bytes: Uint8Array; failAfter: number }; // the connection drops mid-body

/** A fake huggingface.co: serves `files` for any repo/revision in chunks, records every request. */
function fakeHub(files: Record<string, FakeFile>, chunk = 4096) {
  const requests: Array<{ url: string; authorization: string | null }> = [];
  let offline = false;
  const fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = String(input);
    requests.push({ url, authorization: new Headers(init?.headers).get('authorization') });
    if (offline) throw new TypeError('fetch failed', { cause: { code: 'ENOTFOUND' } });
    init?.signal?.throwIfAborted();
    const file = /^https:\/\/huggingface\.co\/.+?\/resolve\/[^/]+\/(.+)$/.exec(url)?.[1];
    const entry = file === undefined ? undefined : files[decodeURIComponent(file)];
    if (entry === undefined) return new Response('Entry not found', { status: 404, headers: { 'x-error-code': 'EntryNotFound' } });
    if ('status' in entry) return new Response('no', { status: entry.status, headers: entry.errorCode ? { 'x-error-code': entry.errorCode } : {} });
    const bytes = entry instanceof Uint8Array ? entry : entry.bytes;
    const end = 'cutAfter' in entry ? entry.cutAfter : 'failAfter' in entry ? entry.failAfter : bytes.length;
    let at = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (at >= end) {
          if ('failAfter' in entry) controller.error(new TypeError('terminated', { cause: { code: 'ECONNRESET' } }));
          else controller.close();
          return;
        }
        controller.enqueue(bytes.slice(at, Math.min(end, at + chunk)));
        at += chunk;
      },
    });
    return new Response(body, { status: 200, headers: { 'content-length': String(bytes.length) } });
  }) as typeof globalThis.fetch;
  return {
    fetch,
    requests,
    goOffline: () => void (offline = true),
  };
}

/** A fetch that fails the test if it is called at all. */
const noNetwork = (() => {
  throw new Error('the network was used');
}) as unknown as typeof fetch;

async function expectFixtureModel(reader: Parameters<typeof readModelDir>[0]) {
  const { config, weights } = await readModelDir(reader);
  expect({ hidden: config.hidden, layers: config.layers, heads: config.heads, vocab: config.vocabSize, labels: config.numLabels }).toEqual({ hidden: 30, layers: 3, heads: 3, vocab: 97, labels: 3 });
  const expected = parseSafetensors(fixture('lora-awkward', 'model.safetensors'), 'model.safetensors');
  expect(weights.names().sort()).toEqual([...expected.tensors.keys()].sort());
  const name = 'roberta.encoder.layer.2.attention.self.query.weight';
  const want = readTensorF32(expected, name);
  expect(await weights.read(name, want.shape)).toEqual(want);
}

describe('hubDirReader', () => {
  it('reads config.json and model.safetensors from huggingface.co/<id>/resolve/main/', async () => {
    const hub = fakeHub(modelFiles());
    const reader = hubDirReader(MODEL_ID, { fetch: hub.fetch, cache: memoryHubCache() });
    await expectFixtureModel(reader);
    expect(hub.requests.map((r) => r.url)).toEqual([
      'https://huggingface.co/test-owner/tiny-roberta/resolve/main/config.json',
      'https://huggingface.co/test-owner/tiny-roberta/resolve/main/model.safetensors',
    ]);
    expect(hub.requests.every((r) => new URL(r.url).origin === 'https://huggingface.co' && r.authorization === null)).toBe(true);
    expect(reader.describe('config.json')).toBe('https://huggingface.co/test-owner/tiny-roberta/blob/main/config.json');
  });

  it('needs no network for a second load: the cache serves every file, and remembers 404s', async () => {
    const cache = memoryHubCache();
    const files = { ...modelFiles(), 'vocab.json': fixture('tokenizer-tiny', 'vocab.json'), 'merges.txt': fixture('tokenizer-tiny', 'merges.txt') };
    const hub = fakeHub(files);
    const first = hubDirReader(MODEL_ID, { fetch: hub.fetch, cache });
    await readModelDir(first);
    await readTokenizerDir(first);
    const online = hub.requests.length;
    hub.goOffline();
    const progress: HubProgress[] = [];
    const second = hubDirReader(MODEL_ID, { fetch: hub.fetch, cache, onProgress: (p) => progress.push(p) });
    await expectFixtureModel(second);
    expect((await readTokenizerDir(second)).vocabSize).toBe(400);
    expect(hub.requests.length).toBe(online); // zero requests the second time
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.every((p) => p.cached && p.loaded === p.total)).toBe(true);
    // Another revision is another cache entry: it goes to the network (which is now down).
    const other = hubDirReader(MODEL_ID, { fetch: hub.fetch, cache, revision: 'v2' });
    await expect(other.read('config.json')).rejects.toThrow(/Check the model id and your connection/);
  });

  it('falls back to the sharded index, and loads the shards it lists', async () => {
    const whole = parseSafetensors(fixture('lora-awkward', 'model.safetensors'), 'model.safetensors');
    const names = [...whole.tensors.keys()];
    const shardOf = (i: number) => (i < names.length / 2 ? 'model-00001-of-00002.safetensors' : 'model-00002-of-00002.safetensors');
    const shard = (file: string) => writeSafetensors(names.filter((_, i) => shardOf(i) === file).map((n) => [n, readTensorF32(whole, n)]));
    const index = { metadata: {}, weight_map: Object.fromEntries(names.map((n, i) => [n, shardOf(i)])) };
    const hub = fakeHub({
      'config.json': fixture('lora-awkward', 'config.json'),
      'model.safetensors.index.json': new TextEncoder().encode(JSON.stringify(index)),
      'model-00001-of-00002.safetensors': shard('model-00001-of-00002.safetensors'),
      'model-00002-of-00002.safetensors': shard('model-00002-of-00002.safetensors'),
    });
    const cache = memoryHubCache();
    await expectFixtureModel(hubDirReader(MODEL_ID, { fetch: hub.fetch, cache }));
    expect(hub.requests.map((r) => r.url.split('/').pop())).toEqual([
      'config.json',
      'model.safetensors', // 404
      'model.safetensors.index.json', // requested once, though opened and then read
      'model-00001-of-00002.safetensors',
      'model-00002-of-00002.safetensors',
    ]);
    hub.goOffline();
    await expectFixtureModel(hubDirReader(MODEL_ID, { fetch: hub.fetch, cache }));
    expect(hub.requests.length).toBe(5);
  });

  it('returns null for a 404 (tokenizer.json), so the tokenizer falls back to vocab.json + merges.txt', async () => {
    const hub = fakeHub({ 'vocab.json': fixture('tokenizer-tiny', 'vocab.json'), 'merges.txt': fixture('tokenizer-tiny', 'merges.txt') });
    const reader = hubDirReader(MODEL_ID, { fetch: hub.fetch, cache: memoryHubCache() });
    expect(await reader.read('tokenizer.json')).toBeNull();
    expect(await reader.open('tokenizer.json')).toBeNull();
    const tokenizer = await readTokenizerDir(reader);
    expect(tokenizer.vocabSize).toBe(400);
    expect(tokenizer.source).toBe('https://huggingface.co/test-owner/tiny-roberta/blob/main/vocab.json');
  });

  it('says a 401/403 model is gated or private, and how to get in', async () => {
    for (const status of [401, 403]) {
      const hub = fakeHub({ 'config.json': { status } });
      const reader = hubDirReader('meta-llama/gated-model', { fetch: hub.fetch, cache: memoryHubCache() });
      const error = await reader.read('config.json').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BadInputError);
      expect((error as Error).message).toMatch(new RegExp(`^https://huggingface.co/meta-llama/gated-model: the model is gated or private \\(HTTP ${status} for config.json\\); log in .*access token`));
    }
    const withToken = fakeHub({ 'config.json': { status: 403 } });
    const reader = hubDirReader('meta-llama/gated-model', { fetch: withToken.fetch, cache: memoryHubCache(), token: 'hf_secret' });
    await expect(reader.read('config.json')).rejects.toThrow(/your access token was refused/);
    expect(withToken.requests[0].authorization).toBe('Bearer hf_secret');
  });

  it('says when the model or the revision does not exist', async () => {
    const missingRepo = fakeHub({ 'config.json': { status: 401, errorCode: 'RepoNotFound' } });
    await expect(hubDirReader('nobody/no-such-model', { fetch: missingRepo.fetch, cache: memoryHubCache() }).read('config.json')).rejects.toThrow(
      /^https:\/\/huggingface.co\/nobody\/no-such-model: the model was not found on the Hugging Face Hub \(HTTP 401\); check the model id/,
    );
    const missingRevision = fakeHub({ 'config.json': { status: 404, errorCode: 'RevisionNotFound' } });
    await expect(hubDirReader(MODEL_ID, { fetch: missingRevision.fetch, cache: memoryHubCache(), revision: 'v9' }).read('config.json')).rejects.toThrow(/has no revision "v9"/);
  });

  it('names the model and file on network failures and HTTP errors, and caches nothing', async () => {
    const cache = memoryHubCache();
    const down = fakeHub(modelFiles());
    down.goOffline();
    const error = await hubDirReader(MODEL_ID, { fetch: down.fetch, cache }).read('config.json').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HubDownloadError);
    expect((error as Error).message).toBe(
      'Could not download config.json of test-owner/tiny-roberta from https://huggingface.co/test-owner/tiny-roberta/resolve/main/config.json: fetch failed (ENOTFOUND). Check the model id and your connection.',
    );
    const busy = fakeHub({ 'config.json': { status: 503 } });
    await expect(hubDirReader(MODEL_ID, { fetch: busy.fetch, cache }).read('config.json')).rejects.toThrow(/config.json of test-owner\/tiny-roberta: HTTP 503 .*try again later/);
    const dropped = fakeHub({ 'model.safetensors': { bytes: modelFiles()['model.safetensors'], failAfter: 8192 } });
    await expect(hubDirReader(MODEL_ID, { fetch: dropped.fetch, cache }).open('model.safetensors')).rejects.toThrow(
      /The download of model.safetensors of test-owner\/tiny-roberta .* failed after 8192 bytes: terminated \(ECONNRESET\)/,
    );
    expect(cache.keys()).toEqual([]);
  });

  it('rejects a body cut short of its Content-Length, caches nothing, and succeeds on retry', async () => {
    const bytes = modelFiles()['model.safetensors'];
    const cache = memoryHubCache();
    const cut = fakeHub({ 'model.safetensors': { bytes, cutAfter: 10_000 } });
    const error = await hubDirReader(MODEL_ID, { fetch: cut.fetch, cache }).open('model.safetensors').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HubDownloadError);
    expect((error as Error).message).toMatch(new RegExp(`was cut short: 10000 of ${bytes.length} bytes arrived. Nothing was cached`));
    expect(await cache.get(hubCacheKey(MODEL_ID, 'main', 'model.safetensors'))).toBeNull();
    const source = await hubDirReader(MODEL_ID, { fetch: fakeHub({ 'model.safetensors': bytes }).fetch, cache }).open('model.safetensors');
    expect(source?.size).toBe(bytes.length);
    expect(await source?.read(100, 50)).toEqual(bytes.subarray(100, 150));
  });

  it('reports progress per file: monotone, with the total, ending at the total', async () => {
    const files = modelFiles();
    const progress: HubProgress[] = [];
    const reader = hubDirReader(MODEL_ID, { fetch: fakeHub(files, 10_000).fetch, cache: memoryHubCache(), onProgress: (p) => progress.push({ ...p }) });
    await readModelDir(reader);
    for (const file of ['config.json', 'model.safetensors'] as const) {
      const events = progress.filter((p) => p.file === file);
      const size = files[file].length;
      expect(events.every((p) => p.total === size && !p.cached)).toBe(true);
      expect(events.map((p) => p.loaded)).toEqual([...events.map((p) => p.loaded)].sort((a, b) => a - b));
      expect(events[0].loaded).toBe(0);
      expect(events.at(-1)!.loaded).toBe(size);
    }
    expect(progress.filter((p) => p.file === 'model.safetensors').length).toBe(1 + Math.ceil(files['model.safetensors'].length / 10_000));
  });

  it('rejects invalid model ids and revisions before any request', () => {
    for (const id of ['FacebookAI/roberta-base', 'roberta-base', 'distilbert/distilroberta-base', 'a_b.c/D-e.1', 'x']) expect(isHubModelId(id)).toBe(true);
    const bad = ['', 'a/b/c', '/roberta-base', 'owner/', '-abc', 'abc.', 'a--b', 'a..b', 'owner/na me', 'owner/name.git', 'ow@ner/x', 'x'.repeat(97), 'owner/ü'];
    for (const id of bad) {
      expect(isHubModelId(id), id).toBe(false);
      expect(() => hubDirReader(id, { fetch: noNetwork, cache: memoryHubCache() }), id).toThrow(/is not a Hugging Face model id: use owner\/name/);
    }
    expect(() => hubDirReader('https://huggingface.co/FacebookAI/roberta-base', { fetch: noNetwork, cache: memoryHubCache() })).toThrow(
      'model id "https://huggingface.co/FacebookAI/roberta-base": is a URL; give the model id instead, e.g. FacebookAI/roberta-base',
    );
    for (const revision of ['', '../main', 'a b', '/main', 'refs//x']) {
      expect(() => hubDirReader(MODEL_ID, { fetch: noNetwork, cache: memoryHubCache(), revision }), revision).toThrow(/is not a branch, tag or commit name/);
    }
  });

  it('refuses ids and revisions with URL-special characters, path tricks or other hosts, and fetches nothing', async () => {
    const hub = fakeHub(modelFiles());
    const ids = ['owner/name?x=1', 'owner/name#top', 'owner%2Fname', 'owner/..', '../name', 'owner\\name', 'evil.com:443/x', '@evil.com/x', 'owner/name ', ' owner/name', 'owner/na\nme', '//evil.com/x', 'HTTP://huggingface.co/x/y'];
    for (const id of ids) expect(() => hubDirReader(id, { fetch: hub.fetch, cache: memoryHubCache() }), id).toThrow(BadInputError);
    const revisions = ['main?x=1', 'main#x', 'main%2F..', 'refs/../../x', 'a\\b', ' main', 'main\n', 'x'.repeat(256)];
    for (const revision of revisions) expect(() => hubDirReader(MODEL_ID, { fetch: hub.fetch, cache: memoryHubCache(), revision }), revision).toThrow(BadInputError);
    expect(hub.requests).toEqual([]);
  });

  it('URL-encodes the revision (refs/pr/1) in the URL and the cache key', async () => {
    const hub = fakeHub(modelFiles());
    const cache = memoryHubCache();
    await hubDirReader(MODEL_ID, { fetch: hub.fetch, cache, revision: 'refs/pr/1' }).read('config.json');
    expect(hub.requests[0].url).toBe('https://huggingface.co/test-owner/tiny-roberta/resolve/refs%2Fpr%2F1/config.json');
    expect(cache.keys()).toEqual(['test-owner/tiny-roberta@refs%2Fpr%2F1/config.json']);
    expect(hubCacheKey('FacebookAI/roberta-base', 'main', 'config.json')).toBe('FacebookAI/roberta-base@main/config.json');
  });

  it('never fetches .bin/.onnx weights or paths outside the repository', async () => {
    const reader = hubDirReader(MODEL_ID, { fetch: noNetwork, cache: memoryHubCache() });
    for (const file of ['pytorch_model.bin', 'onnx/model.onnx', 'tf_model.h5', '../other/model.safetensors', '/etc/passwd.json', 'a/./b.json']) {
      await expect(reader.open(file), file).rejects.toThrow(/is not a file this app downloads: .*never \.bin, \.onnx/);
    }
    // A shard list naming a .bin file (from an untrusted index) is refused before anything is fetched.
    const index = { weight_map: { 'roberta.embeddings.word_embeddings.weight': 'pytorch_model-00001-of-00002.bin' } };
    const hub = fakeHub({ 'config.json': fixture('lora-awkward', 'config.json'), 'model.safetensors.index.json': new TextEncoder().encode(JSON.stringify(index)) });
    await expect(readModelDir(hubDirReader(MODEL_ID, { fetch: hub.fetch, cache: memoryHubCache() }))).rejects.toThrow(
      /model\.safetensors\.index\.json: maps tensor "roberta\.embeddings\.word_embeddings\.weight" to "pytorch_model-00001-of-00002\.bin", not a \.safetensors file name/,
    );
    expect(hub.requests.some((r) => r.url.endsWith('.bin'))).toBe(false);
  });

  it("never fetches a shard named by the index with '..', an absolute path, a folder or URL-special characters", async () => {
    const unsafe = ['../model.safetensors', '/model.safetensors', 'sub/model.safetensors', 'a\\model.safetensors', 'http:evil.safetensors', '%2e%2e%2fmodel.safetensors', 'x?y=1.safetensors', 'x#.safetensors', 'ü.safetensors', 'a b.safetensors'];
    for (const shard of unsafe) {
      const index = { weight_map: { 'roberta.embeddings.word_embeddings.weight': 'model-00001-of-00002.safetensors', 'roberta.pooler.dense.weight': shard } };
      const hub = fakeHub({ 'config.json': fixture('lora-awkward', 'config.json'), 'model.safetensors.index.json': new TextEncoder().encode(JSON.stringify(index)) });
      const error = await readModelDir(hubDirReader(MODEL_ID, { fetch: hub.fetch, cache: memoryHubCache() })).catch((e: unknown) => e);
      expect(error, shard).toBeInstanceOf(BadInputError);
      expect((error as Error).message, shard).toContain(`model.safetensors.index.json: maps tensor "roberta.pooler.dense.weight" to ${JSON.stringify(shard)}, not a .safetensors file name in the folder (shard names must be plain file names`);
      // Only the three files read before the index is checked; no shard, not even the valid one.
      expect(hub.requests.map((r) => r.url), shard).toEqual(['config.json', 'model.safetensors', 'model.safetensors.index.json'].map((f) => `https://huggingface.co/${MODEL_ID}/resolve/main/${f}`));
    }
  });

  it('sends a request only for plain file names, each to exactly the URL it names (fuzzed names)', async () => {
    const special = fc.constantFrom('/', '.', '..', '\\', '%', '?', '#', ':', '@', ' ', '\u0000', 'é', '%2e', '%2f', 'http:', '//', '~', '&');
    const piece = fc.oneof(fc.string({ maxLength: 6 }), special, fc.constantFrom('a', 'config', 'model', 'json', 'safetensors'));
    const name = fc.tuple(fc.array(piece, { maxLength: 5 }), fc.constantFrom('.json', '.txt', '.safetensors', '.bin', '')).map(([parts, ext]) => parts.join('') + ext);
    const outcomes = new Set<string>();
    await fc.assert(
      fc.asyncProperty(name, async (file) => {
        const hub = fakeHub({});
        const reader = hubDirReader(MODEL_ID, { fetch: hub.fetch, cache: memoryHubCache() });
        const result = await reader.open(file).catch((e: unknown) => e);
        outcomes.add(result instanceof BadInputError ? 'refused' : 'fetched');
        if (result instanceof BadInputError) {
          expect(hub.requests).toEqual([]);
          return;
        }
        expect(result).toBeNull(); // the fake hub has no files: a 404
        expect(isPlainRepoPath(file)).toBe(true);
        // The URL parser keeps the name as it is: no '..' resolved, no query, no fragment, no other host.
        const url = new URL(hub.requests[0].url);
        expect([url.origin, url.pathname, url.search, url.hash]).toEqual(['https://huggingface.co', `/${MODEL_ID}/resolve/main/${file}`, '', '']);
      }),
      runs(300),
    );
    expect([...outcomes].sort()).toEqual(['fetched', 'refused']);
  });

  it('keeps a file in memory when the cache refuses it (quota), with a warning', async () => {
    const refusing: HubCache = {
      persistent: true,
      get: async () => null,
      async put(_key, body) {
        if (body instanceof ReadableStream) await body.getReader().read();
        throw new DOMException('quota exceeded', 'QuotaExceededError');
      },
      putMissing: async () => {},
    };
    const hub = fakeHub(modelFiles());
    const warnings: string[] = [];
    await expectFixtureModel(hubDirReader(MODEL_ID, { fetch: hub.fetch, cache: refusing, onWarning: (w) => warnings.push(w) }));
    expect(warnings).toEqual([
      'Could not store config.json of test-owner/tiny-roberta in the cache (quota exceeded); downloading it again and keeping it in memory only.',
      'Could not store model.safetensors of test-owner/tiny-roberta in the cache (quota exceeded); downloading it again and keeping it in memory only.',
    ]);
    expect(hub.requests.length).toBe(4);
  });

  it('passes an abort through unchanged', async () => {
    const controller = new AbortController();
    controller.abort();
    const reader = hubDirReader(MODEL_ID, { fetch: fakeHub(modelFiles()).fetch, cache: memoryHubCache(), signal: controller.signal });
    await expect(reader.read('config.json')).rejects.toMatchObject({ name: 'AbortError' });
  });
});

describe('nodeHubCache', () => {
  const root = mkdtempSync(join(tmpdir(), 'light-peft-hub-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('lives under $XDG_CACHE_HOME or ~/.cache', () => {
    expect(defaultHubCacheDir({ XDG_CACHE_HOME: '/x/cache' })).toBe('/x/cache/light-peft/hub');
    expect(defaultHubCacheDir({})).toMatch(/\.cache\/light-peft\/hub$/);
  });

  it('stores downloads as files (<owner--name>/<revision>/<file>), serves them from disk, offline, to a new process', async () => {
    const hub = fakeHub(modelFiles());
    await expectFixtureModel(hubDirReader(MODEL_ID, { fetch: hub.fetch, cache: nodeHubCache(root) }));
    expect(readdirSync(join(root, 'test-owner--tiny-roberta', 'main')).sort()).toEqual(['config.json', 'model.safetensors']);
    expect(new Uint8Array(readFileSync(join(root, 'test-owner--tiny-roberta', 'main', 'model.safetensors')))).toEqual(modelFiles()['model.safetensors']);
    await expectFixtureModel(hubDirReader(MODEL_ID, { fetch: noNetwork, cache: nodeHubCache(root) }));
  });

  it('remembers 404s, and leaves neither file nor temp file behind a failed download', async () => {
    const cache = nodeHubCache(root);
    const bytes = modelFiles()['model.safetensors'];
    const hub = fakeHub({ 'model.safetensors': { bytes, cutAfter: 5000 } });
    const reader = hubDirReader('other-model', { fetch: hub.fetch, cache });
    await expect(reader.open('model.safetensors')).rejects.toThrow(/cut short/);
    expect(await reader.read('tokenizer.json')).toBeNull();
    expect(readdirSync(join(root, 'other-model', 'main'))).toEqual(['tokenizer.json.missing']);
    expect(await nodeHubCache(root).get(hubCacheKey('other-model', 'main', 'tokenizer.json'))).toBe(HUB_MISSING);
    // A later good download replaces the marker-free slot atomically.
    await cache.put(hubCacheKey('other-model', 'main', 'model.safetensors'), new Blob([bytes]).stream());
    expect(readdirSync(join(root, 'other-model', 'main')).sort()).toEqual(['model.safetensors', 'tokenizer.json.missing']);
    expect(existsSync(join(root, 'other-model', 'main', 'model.safetensors'))).toBe(true);
  });

  it('refuses keys that would leave the cache folder', async () => {
    const cache = nodeHubCache(root);
    for (const key of ['../x@main/a.json', 'a@main/../../b.json', 'a@../b.json', 'no-revision.json', 'a/b/c@main/x.json']) {
      await expect(cache.get(key), key).rejects.toThrow(/hub cache: malformed key/);
    }
  });
});

describe('browserHubCache', () => {
  /** Cache Storage as the spec has it: put reads the whole body before storing, and stores nothing if it errors. */
  function fakeCacheStorage() {
    const stores = new Map<string, Map<string, { body: Blob; headers: Headers }>>();
    const storage = {
      async open(name: string) {
        const store = stores.get(name) ?? new Map();
        stores.set(name, store);
        return {
          async match(url: string) {
            const hit = store.get(url);
            return hit ? new Response(hit.body, { headers: hit.headers }) : undefined;
          },
          async put(url: string, response: Response) {
            expect(new URL(url).protocol).toBe('https:');
            const body = await response.blob();
            store.set(url, { body, headers: response.headers });
          },
        };
      },
      delete: async (name: string) => stores.delete(name),
    };
    return { storage: storage as unknown as CacheStorage, stores };
  }

  it('stores downloads in Cache Storage, remembers 404s, and serves a second load offline', async () => {
    const { storage, stores } = fakeCacheStorage();
    const hub = fakeHub(modelFiles());
    const cache = await browserHubCache(storage);
    expect(cache.persistent).toBe(true);
    const reader = hubDirReader(MODEL_ID, { fetch: hub.fetch, cache });
    await expectFixtureModel(reader);
    expect(await reader.read('tokenizer.json')).toBeNull();
    expect([...stores.get(HUB_CACHE_NAME)!.keys()]).toEqual([
      'https://hub-cache.light-peft.invalid/test-owner/tiny-roberta%40main/config.json',
      'https://hub-cache.light-peft.invalid/test-owner/tiny-roberta%40main/model.safetensors',
      'https://hub-cache.light-peft.invalid/test-owner/tiny-roberta%40main/tokenizer.json',
    ]);
    const offline = hubDirReader(MODEL_ID, { fetch: noNetwork, cache: await browserHubCache(storage) });
    await expectFixtureModel(offline);
    expect(await offline.read('tokenizer.json')).toBeNull();
    expect(await (await browserHubCache(storage)).get(hubCacheKey(MODEL_ID, 'main', 'model.safetensors'))).toBeInstanceOf(Blob);
  });

  it('stores nothing when the download is cut short', async () => {
    const { storage, stores } = fakeCacheStorage();
    const hub = fakeHub({ 'model.safetensors': { bytes: modelFiles()['model.safetensors'], cutAfter: 100 } });
    await expect(hubDirReader(MODEL_ID, { fetch: hub.fetch, cache: await browserHubCache(storage) }).open('model.safetensors')).rejects.toThrow(/cut short/);
    expect(stores.get(HUB_CACHE_NAME)!.size).toBe(0);
  });

  it('falls back to memory where Cache Storage is unavailable', async () => {
    expect((await browserHubCache(undefined)).persistent).toBe(false);
    const refusing = { open: () => Promise.reject(new DOMException('denied', 'SecurityError')) } as unknown as CacheStorage;
    expect((await browserHubCache(refusing)).persistent).toBe(false);
  });
});
