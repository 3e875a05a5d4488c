/**
 * Browser end-to-end test: the built app (dist/) in Debian's Chromium with WebGPU on
 * SwiftShader. Run `npx vite build` first (npm run test:e2e does). Prints "N passed, M failed"
 * and exits non-zero on any failure. Screenshots: test-results/app.png, test-results/no-webgpu.png
 * and the setup screen's (see setup.ts), test-results/train.png (see train.ts), the Light-PEFT
 * screens' (see lightpeft.ts).
 */
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_ARGS_WITHOUT_WEBGPU, launchChromium, serveStatic, watchedPage, type PageWatch } from './browser';
import { assert, assertClean, TIMEOUT_MS, type TestCase } from './harness';
import { hubTests } from './hub';
import { setupTests } from './setup';
import { trainTests } from './train';
import { lightPeftTests } from './lightpeft';
import { storageTests } from './storage';
import { securityTests } from './security';
import { faultTests } from './faults';
import { soakTests } from './soak';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const MIN_STORAGE_BINDING_MIB = 256;
const SELF_CHECK_TOLERANCE = 1e-5;

async function main(): Promise<number> {
  mkdirSync(join(root, 'test-results'), { recursive: true });
  const server = await serveStatic(join(root, 'dist'));
  let browser: Browser | null = null;
  let page: Page;
  let watch: PageWatch;
  const results: { name: string; error?: unknown; ms: number }[] = [];
  try {
    browser = await launchChromium();
    ({ page, watch } = await watchedPage(browser));
    console.log(`chromium ${browser.version()} (${CHROMIUM_ARGS.join(' ')}) on ${server.url}`);

    const tests: TestCase[] = [
      {
        name: 'the page reports a WebGPU adapter with a storage binding of at least 256 MiB',
        run: async () => {
          await page.goto(server.url);
          assert((await page.title()) === 'Light-PEFT Studio', `title is "${await page.title()}"`);
          const panel = page.getByTestId('gpu-panel');
          await panel.and(page.locator('[data-status="done"], [data-status="failed"]')).waitFor({ timeout: TIMEOUT_MS });
          const status = await panel.getAttribute('data-status');
          assert(status === 'done', `no adapter: ${await panel.innerText()}`);
          const mib = Number(await page.getByTestId('max-storage-binding-mib').getAttribute('data-value'));
          console.log(`    adapter: ${(await panel.locator('.status').innerText()).trim()}; max storage binding ${mib} MiB`);
          assert(mib >= MIN_STORAGE_BINDING_MIB, `maxStorageBufferBindingSize is ${mib} MiB < ${MIN_STORAGE_BINDING_MIB} MiB`);
          assert(page.workers().length >= 1, 'no dedicated worker was started');
          // The first screen offers the demo; bringing a model and data is one click away (kept open for the tab).
          assert(await page.getByTestId('demo-start').isVisible(), 'the first screen has no demo button');
          assert(!(await page.getByTestId('model-panel').isVisible()), 'the setup panels are open on the first screen');
          await page.getByTestId('own-setup-toggle').click();
          await page.getByTestId('model-panel').waitFor({ timeout: TIMEOUT_MS });
          assertClean(watch);
        },
      },
      {
        name: 'the self-check runs matmul in the dedicated worker with max relative error < 1e-5',
        run: async () => {
          await page.getByTestId('self-check-run').click();
          const panel = page.getByTestId('self-check-panel');
          await panel.and(page.locator('[data-status="done"], [data-status="failed"]')).waitFor({ timeout: TIMEOUT_MS });
          assert((await panel.getAttribute('data-status')) === 'done', `self-check failed: ${await panel.innerText()}`);
          const result = page.getByTestId('self-check-result');
          const error = Number(await result.getAttribute('data-max-relative-error'));
          const scope = await result.getAttribute('data-scope');
          console.log(`    max relative error ${error.toExponential(2)} in ${scope}`);
          assert(scope === 'DedicatedWorkerGlobalScope', `the kernel ran in ${scope}, not a dedicated worker`);
          assert(Number.isFinite(error) && error < SELF_CHECK_TOLERANCE, `max relative error ${error} ≥ ${SELF_CHECK_TOLERANCE}`);
          await page.screenshot({ path: join(root, 'test-results', 'app.png'), fullPage: true });
          assertClean(watch);
        },
      },
      ...setupTests({ root, page: () => page, watch: () => watch }),
      ...hubTests({ root, page: () => page, watch: () => watch }),
      ...trainTests({ root, page: () => page, watch: () => watch }),
      ...lightPeftTests({ root, serverUrl: () => server.url, browser: () => browser!, page: () => page, watch: () => watch }),
      ...storageTests({ root, serverUrl: () => server.url, browser: () => browser! }),
      ...securityTests({ root, serverUrl: () => server.url, browser: () => browser! }),
      ...faultTests({ root, serverUrl: () => server.url, browser: () => browser! }),
      ...soakTests({ root, serverUrl: () => server.url, browser: () => browser!, page: () => page, watch: () => watch }),
      {
        name: 'without WebGPU the page explains why and what to do',
        run: async () => {
          const bare = await launchChromium(CHROMIUM_ARGS_WITHOUT_WEBGPU);
          try {
            const { page, watch } = await watchedPage(bare);
            await page.goto(server.url);
            const panel = page.getByTestId('gpu-panel');
            await panel.and(page.locator('[data-status="done"], [data-status="failed"]')).waitFor({ timeout: TIMEOUT_MS });
            assert((await panel.getAttribute('data-status')) === 'failed', 'an adapter was offered even without WebGPU');
            const problem = page.getByTestId('problem');
            const name = await problem.getAttribute('data-error');
            const text = await problem.innerText();
            console.log(`    ${name}: ${text.split('\n').find((line) => line.includes('adapter') || line.includes('WebGPU'))}`);
            assert(name === 'WebGPUUnavailableError', `the error is ${name}, not WebGPUUnavailableError`);
            assert(/chrome:\/\/gpu/.test(text) && /--enable-unsafe-webgpu/.test(text), `no advice on what to do: ${text}`);
            assert(await page.getByTestId('self-check-run').isDisabled(), 'the self-check can be started without a GPU');
            await page.screenshot({ path: join(root, 'test-results', 'no-webgpu.png'), fullPage: true });
            assertClean(watch);
          } finally {
            await bare.close();
          }
        },
      },
    ];

    for (const test of tests) {
      const start = performance.now();
      try {
        await test.run();
        results.push({ name: test.name, ms: performance.now() - start });
        console.log(`  ✓ ${test.name} (${((performance.now() - start) / 1000).toFixed(1)} s)`);
      } catch (error) {
        results.push({ name: test.name, error, ms: performance.now() - start });
        console.log(`  ✗ ${test.name}\n    ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  } finally {
    await browser?.close();
    await server.close();
  }
  const failed = results.filter((r) => r.error !== undefined).length;
  console.log(`${results.length - failed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error);
    console.log('0 passed, 1 failed');
    process.exit(1);
  },
);
