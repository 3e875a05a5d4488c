/**
 * A model from the Hugging Face Hub in the browser, end to end, against a stand-in for
 * huggingface.co served by Playwright (this machine is offline): a sharded checkpoint downloads
 * with a progress bar, lands in the browser's cache, and loads a second time with no request; a
 * download can be cancelled; a gated model at a revision loads with an access token that goes out
 * only as the Authorization header and is stored nowhere.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page, Route } from 'playwright-core';
import { tinyModelFiles, TINY_VOCAB } from '../src/workers/testing';
import type { PageWatch } from './browser';
import { assert, assertClean, waitForStatus, type TestCase } from './harness';

interface HubContext {
  root: string;
  page: () => Page;
  watch: () => PageWatch;
}

const MODEL_ID = 'light-peft-test/tiny-roberta';
const RESOLVE = `https://huggingface.co/${MODEL_ID}/resolve/main/`;
export const CORS = { 'access-control-allow-origin': '*', 'access-control-expose-headers': 'content-length, x-error-code' };

export function hubTests({ root, page: getPage, watch: getWatch }: HubContext): TestCase[] {
  return [
    {
      name: 'a sharded Hub model downloads with a progress bar, is cached, and loads again without the network',
      run: async () => {
        const page = getPage();
        const watch = getWatch();
        const tiny = tinyModelFiles();
        const tokenizer = join(root, 'test', 'fixtures', 'tokenizer-tiny');
        // No model.safetensors: the loader must find the index and fetch both shards.
        const repo = new Map<string, Uint8Array>([
          ['config.json', tiny.configJson],
          ['tokenizer.json', readFileSync(join(tokenizer, 'tokenizer.json'))],
          ['tokenizer_config.json', readFileSync(join(tokenizer, 'tokenizer_config.json'))],
          ...tiny.sharded.map((f): [string, Uint8Array] => [f.name, f.bytes]),
        ]);
        const lastShard = tiny.sharded[tiny.sharded.length - 1].name;
        const served: string[] = [];
        let releaseLastShard!: () => void;
        const lastShardHeld = new Promise<void>((resolve) => (releaseLastShard = resolve));

        const serve = async (route: Route) => {
          const file = decodeURIComponent(route.request().url().slice(RESOLVE.length));
          served.push(file);
          const cors = { 'access-control-allow-origin': '*', 'access-control-expose-headers': 'content-length, x-error-code' };
          const body = repo.get(file);
          if (!body) return route.fulfill({ status: 404, headers: { ...cors, 'x-error-code': 'EntryNotFound' }, body: 'Entry not found' });
          // Hold the last shard, so the progress bar can be seen mid-download.
          if (file === lastShard) await lastShardHeld;
          return route.fulfill({ status: 200, headers: { ...cors, 'content-type': 'application/octet-stream', 'content-length': String(body.byteLength) }, body: Buffer.from(body) });
        };
        await page.route(`${RESOLVE}**`, serve);
        try {
          await page.getByTestId('hub-id').fill(MODEL_ID);
          await page.getByTestId('hub-load').click();
          const progress = page.getByTestId('model-progress');
          await until(() => served.includes(lastShard), `${lastShard} was never requested (served: ${served.join(', ')})`);
          await progress.waitFor();
          const during = await progress.innerText();
          console.log(`    downloading: ${during.replace(/\s+/g, ' ')}`);
          assert(/\.(json|safetensors)/.test(during), `the progress bar does not name the file: ${during}`);
          releaseLastShard();

          const summary = page.getByTestId('model-summary');
          await page.waitForFunction(() => document.querySelector('[data-testid="model-panel"]')?.getAttribute('data-status') !== 'loading', undefined, { timeout: 60_000 });
          assert(!(await page.getByTestId('model-problem').isVisible()), `the Hub model did not load: ${await page.getByTestId('model-panel').innerText()}`);
          assert((await summary.getAttribute('data-vocab')) === String(TINY_VOCAB), `unexpected vocabulary: ${await summary.getAttribute('data-vocab')}`);
          for (const file of ['config.json', 'model.safetensors.index.json', ...tiny.sharded.map((f) => f.name).slice(1), 'tokenizer.json']) {
            assert(served.includes(file), `${file} was not downloaded (served: ${served.join(', ')})`);
          }
          const firstRequests = served.length;

          // Another model, then the same id again: everything comes from the browser's cache.
          await page.getByTestId('model-demo').click();
          await page.waitForFunction(() => document.querySelector('[data-testid="model-summary"]')?.textContent?.includes('Built-in demo model'), undefined, { timeout: 120_000 });
          await page.getByTestId('hub-load').click();
          await page.waitForFunction((vocab) => document.querySelector('[data-testid="model-summary"]')?.getAttribute('data-vocab') === vocab, String(TINY_VOCAB), { timeout: 60_000 });
          assert(served.length === firstRequests, `the second load went to the network: ${served.slice(firstRequests).join(', ')}`);
          console.log(`    first load: ${firstRequests} requests (${served.join(', ')}); second load: none`);
        } finally {
          releaseLastShard();
          await page.unroute(`${RESOLVE}**`, serve);
        }
        const offsite = watch.offsiteRequests.splice(0);
        assert(offsite.every((url) => url.startsWith(RESOLVE)), `requests to other places: ${offsite.filter((url) => !url.startsWith(RESOLVE)).join(', ')}`);
        assertClean(watch);
      },
    },
    {
      name: 'a Hub download can be cancelled: the model loaded before stays usable, a note says so, finished files stay cached',
      run: async () => {
        const page = getPage();
        const watch = getWatch();
        const modelId = 'light-peft-test/cancel-roberta';
        const repo = tinyRepo(root);
        const served: string[] = [];
        const held: Route[] = [];
        let holdWeights = true;
        const serve = async (route: Route) => {
          const { file } = hubRequest(route.request().url());
          served.push(file);
          // The weights never come while holdWeights: the load is cancelled with that request open.
          if (file === 'model.safetensors' && holdWeights) return void held.push(route);
          return fulfillFrom(route, repo, file);
        };
        const pattern = `https://huggingface.co/${modelId}/resolve/**`;
        await page.route(pattern, serve);
        const summary = page.getByTestId('model-summary');
        try {
          assert(await summary.isVisible(), 'no model is loaded before the cancelled download');
          const before = await summary.locator('strong').first().innerText();
          await page.getByTestId('hub-id').fill(modelId);
          await page.getByTestId('hub-load').click();
          await until(() => held.length > 0, `model.safetensors was never requested (served: ${served.join(', ')})`);
          await page.getByTestId('model-progress-cancel').click();
          await page.waitForFunction(() => document.querySelector('[data-testid="model-panel"]')?.getAttribute('data-status') !== 'loading', undefined, { timeout: 30_000 });
          const note = page.getByTestId('model-note');
          assert(await note.isVisible(), `no note after the cancel: ${await page.getByTestId('model-panel').innerText()}`);
          const noteText = await note.innerText();
          console.log(`    after cancel: ${noteText}`);
          assert(noteText.startsWith('Download cancelled; nothing was kept.'), `unexpected note: ${noteText}`);
          assert(!(await page.getByTestId('model-problem').isVisible()), `the cancel shows an error box: ${await page.getByTestId('model-panel').innerText()}`);
          const after = await summary.locator('strong').first().innerText();
          assert(after === before && (await summary.innerText()).includes('Loaded:'), `the model loaded before is not shown as loaded: ${before} → ${await summary.innerText()}`);

          // It is still usable: the tokenize check runs on it.
          await page.getByTestId('max-length').fill('16');
          await page.getByTestId('tokenize-run').click();
          assert((await waitForStatus(page.getByTestId('tokenize-check'), ['done', 'failed'])) === 'done', `the model loaded before is not usable: ${await page.getByTestId('tokenize-check').innerText()}`);

          // Load again: config.json finished downloading before the cancel, so it comes from the cache.
          holdWeights = false;
          const requestsBefore = served.length;
          await page.getByTestId('hub-load').click();
          await page.waitForFunction((name) => document.querySelector('[data-testid="model-summary"] strong')?.textContent === name, modelId, { timeout: 60_000 });
          assert(!(await note.isVisible()), 'the note outlived the next load');
          const again = served.slice(requestsBefore);
          console.log(`    cancelled load requested ${served.slice(0, requestsBefore).join(', ')}; the next one ${again.join(', ')}`);
          assert(!again.includes('config.json') && again.includes('model.safetensors'), `unexpected requests after the cancel: ${again.join(', ')}`);
        } finally {
          holdWeights = false;
          for (const route of held) await route.abort().catch(() => {});
          await page.unroute(pattern, serve);
        }
        const offsite = watch.offsiteRequests.splice(0);
        assert(offsite.every((url) => url.startsWith(`https://huggingface.co/${modelId}/resolve/main/`)), `requests to other places: ${offsite.join(', ')}`);
        watch.consoleErrors.splice(0, watch.consoleErrors.length, ...watch.consoleErrors.filter((e) => !/ERR_ABORTED|ERR_FAILED/.test(e)));
        assertClean(watch);
      },
    },
    {
      name: 'a gated model at a revision: the 401 asks for a token; the token goes out only as Authorization and is stored nowhere',
      run: async () => {
        const page = getPage();
        const watch = getWatch();
        const modelId = 'light-peft-test/gated-roberta';
        const revision = 'v1.0';
        const token = `hf_e2e${Date.now().toString(36)}Secret`;
        const repo = tinyRepo(root);
        const requests: { url: string; revision: string; file: string; authorization: string | null }[] = [];
        const serve = async (route: Route) => {
          const url = route.request().url();
          const authorization = route.request().headers()['authorization'] ?? null;
          requests.push({ url, ...hubRequest(url), authorization });
          if (authorization !== `Bearer ${token}`) return route.fulfill({ status: 401, headers: { ...CORS, 'x-error-code': 'GatedRepo' }, body: 'Access to model is restricted' });
          return fulfillFrom(route, repo, hubRequest(url).file);
        };
        const pattern = `https://huggingface.co/${modelId}/resolve/**`;
        await page.route(pattern, serve);
        try {
          await page.getByTestId('hub-id').fill(`${modelId}@${revision}`);
          await page.getByTestId('hub-load').click();
          const problem = page.getByTestId('model-problem');
          await page.waitForFunction(() => document.querySelector('[data-testid="model-panel"]')?.getAttribute('data-status') !== 'loading', undefined, { timeout: 30_000 });
          const message = await ((await problem.isVisible()) ? problem : page.getByTestId('model-panel')).innerText();
          console.log(`    without a token: ${message.split('\n').find((line) => line.includes('HTTP 401'))}`);
          assert(/gated or private \(HTTP 401/.test(message) && message.includes('Private or gated model?'), `the refusal does not ask for a token: ${message}`);

          await page.locator('.hub-token summary').click();
          await page.getByTestId('hub-token').fill(token);
          const before = requests.length;
          await page.getByTestId('hub-load').click();
          await page.waitForFunction((name) => document.querySelector('[data-testid="model-summary"] strong')?.textContent === name, `${modelId}@${revision}`, { timeout: 60_000 });
          const withToken = requests.slice(before);
          console.log(`    with a token: ${withToken.length} requests (${withToken.map((r) => r.file).join(', ')}), each with Authorization: Bearer hf_…`);
          assert(withToken.length > 0 && withToken.every((r) => r.authorization === `Bearer ${token}`), `a request went without the token: ${JSON.stringify(withToken.map((r) => [r.file, r.authorization]))}`);
          assert(requests.every((r) => r.revision === revision), `a request was not for revision ${revision}: ${requests.map((r) => r.url).join(', ')}`);
          assert(requests.every((r) => !r.url.includes(token)), 'the token appeared in a URL');

          // Stored nowhere: local and session storage, every IndexedDB store, the Cache Storage keys.
          const stored = (await page.evaluate(STORAGE_DUMP)) as string;
          assert(stored.length > 0 && !stored.includes(token), 'the access token was stored in the browser');
          assert(!(await page.locator('body').innerText()).includes(token), 'the access token is shown on the page');
        } finally {
          await page.getByTestId('hub-token').fill('');
          await page.unroute(pattern, serve);
        }
        const offsite = watch.offsiteRequests.splice(0);
        assert(offsite.every((url) => url.startsWith(`https://huggingface.co/${modelId}/resolve/${revision}/`)), `requests to other places: ${offsite.join(', ')}`);
        // Chromium logs each refused response ("status of 401").
        watch.consoleErrors.splice(0, watch.consoleErrors.length, ...watch.consoleErrors.filter((e) => !/status of 401/.test(e)));
        assertClean(watch);
      },
    },
  ];
}

/** The tiny model in one safetensors file, with the tiny tokenizer. */
export function tinyRepo(root: string): Map<string, Uint8Array> {
  const tiny = tinyModelFiles();
  const tokenizer = join(root, 'test', 'fixtures', 'tokenizer-tiny');
  return new Map<string, Uint8Array>([
    ['config.json', tiny.configJson],
    ['model.safetensors', tiny.safetensors],
    ['tokenizer.json', readFileSync(join(tokenizer, 'tokenizer.json'))],
    ['tokenizer_config.json', readFileSync(join(tokenizer, 'tokenizer_config.json'))],
  ]);
}

/** `https://huggingface.co/<owner>/<name>/resolve/<revision>/<file>`'s revision and file. */
export function hubRequest(url: string): { revision: string; file: string } {
  const [, rest] = new URL(url).pathname.split('/resolve/');
  const slash = rest.indexOf('/');
  return { revision: decodeURIComponent(rest.slice(0, slash)), file: decodeURIComponent(rest.slice(slash + 1)) };
}

/** Answers like the Hub: the file with its length, or 404 EntryNotFound. */
export function fulfillFrom(route: Route, repo: Map<string, Uint8Array>, file: string): Promise<void> {
  const body = repo.get(file);
  if (!body) return route.fulfill({ status: 404, headers: { ...CORS, 'x-error-code': 'EntryNotFound' }, body: 'Entry not found' });
  return route.fulfill({ status: 200, headers: { ...CORS, 'content-type': 'application/octet-stream', 'content-length': String(body.byteLength) }, body: Buffer.from(body) });
}

/**
 * Everything the page keeps: local and session storage, every IndexedDB store's records (binary
 * values left out) and the Cache Storage keys. A string, so the bundler adds nothing to it.
 */
const STORAGE_DUMP = `(async () => {
  const out = [JSON.stringify(localStorage), JSON.stringify(sessionStorage)];
  const done = (request) => new Promise((resolve, reject) => { request.onsuccess = () => resolve(request.result); request.onerror = () => reject(request.error); });
  for (const { name } of await indexedDB.databases()) {
    const db = await done(indexedDB.open(name));
    for (const store of db.objectStoreNames) {
      const records = await done(db.transaction(store).objectStore(store).getAll());
      out.push(name + '/' + store + ': ' + JSON.stringify(records, (key, value) => (ArrayBuffer.isView(value) || value instanceof ArrayBuffer || value instanceof Blob ? undefined : value)));
    }
    db.close();
  }
  for (const name of await caches.keys()) {
    for (const request of await (await caches.open(name)).keys()) out.push(request.url);
  }
  return out.join('\\n');
})()`;

async function until(condition: () => boolean, failure: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    assert(Date.now() < deadline, failure);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
