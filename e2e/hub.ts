/**
 * A model from the Hugging Face Hub in the browser, end to end, against a stand-in for
 * huggingface.co served by Playwright (this machine is offline): a sharded checkpoint downloads
 * with a progress bar, lands in the browser's cache, and loads a second time with no request.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page, Route } from 'playwright-core';
import { tinyModelFiles, TINY_VOCAB } from '../src/workers/testing';
import type { PageWatch } from './browser';
import { assert, assertClean, type TestCase } from './harness';

interface HubContext {
  root: string;
  page: () => Page;
  watch: () => PageWatch;
}

const MODEL_ID = 'light-peft-test/tiny-roberta';
const RESOLVE = `https://huggingface.co/${MODEL_ID}/resolve/main/`;

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
  ];
}

async function until(condition: () => boolean, failure: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    assert(Date.now() < deadline, failure);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
