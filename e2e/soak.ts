/**
 * A shorter soak in the browser: 1,200 steps of LoRA training in the worker (a tiny generated
 * model picked as a folder, the first rows of the demo data as a file, a checkpoint to IndexedDB
 * every 50 steps, an evaluation every 100), ~15 s on SwiftShader. After warm-up the GPU bytes the
 * worker reports with its progress stay exactly the same, and the JS heaps of the page and of the
 * worker (read over the DevTools protocol after a full garbage collection) grow by less than a
 * leak of a batch per step would add.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Papa from 'papaparse';
import type { Browser, CDPSession, Page } from 'playwright-core';
import type { PageWatch } from './browser';
import { assert, assertClean, waitForStatus, TIMEOUT_MS, type TestCase } from './harness';
import { TINY_RUN_FORM, waitForDataReady, writeTinyModel } from './tiny-run';

interface SoakContext {
  root: string;
  serverUrl: () => string;
  browser: () => Browser;
  page: () => Page;
  watch: () => PageWatch;
}

const STEPS = 1200;
const CHECKPOINT_EVERY = 50;
const EVAL_EVERY = 100;
/** From here on nothing may grow: the first checkpoints and evaluations are behind it, and V8 has compiled the step's code (the worker's heap grows by ~250 KB before). */
const WARM_STEP = 275;
/** The last heap sample is taken while training, from this step on. */
const LATE_STEP = STEPS - 25;
/** Half-way between checkpoints: a checkpoint's save holds copies of the tensors for a moment. */
const HEAP_SAMPLE_EVERY = 100;
const FOLDER = 'soak-model';
/**
 * The first rows of the demo's training data, as a file of the person's own: V8 flattens each text
 * the first time the tokenizer reads it, so the worker's heap grows through the first epoch (by
 * ~1.5 MB over 500 steps of the demo's 5,000 examples). With a few hundred rows, warm-up spans
 * several epochs.
 */
const DATA_ROWS = 240;
const DATA_FILE = 'soak-data.csv';
/**
 * Heaps are compared by their floors: the least of the first three samples and of the last three
 * (~700 steps apart). A sample taken mid-step or mid-save holds that step's objects for a moment
 * (up to +600 KB here); a leak raises every sample. Measured, the worker's floor rises by under
 * 200 KB (V8 still compiling the step's code, the run's loss points); keeping each step's batch
 * (~1.7 KB) would add ~1.2 MB.
 */
const WORKER_HEAP_GROWTH_LIMIT = 512 * 1024;
/**
 * The page keeps the whole loss curve and the evaluations it shows (a point every 5 steps): its
 * heap grows by ~0.5 KB a step here. Three times that is a leak.
 */
const PAGE_HEAP_GROWTH_PER_STEP = 1536;

/** The header and the first `rows` rows of the demo's training CSV. */
function demoRows(root: string, rows: number): string {
  const parsed = Papa.parse<string[]>(readFileSync(join(root, 'public', 'demo', 'data', 'train.csv'), 'utf8'), { skipEmptyLines: true });
  return Papa.unparse(parsed.data.slice(0, rows + 1));
}

/** One progress message as the page shows it. */
interface Shown {
  step: number;
  phase: string;
  bytes: number;
}

/**
 * Records in `window.soakShown` every progress message the page shows: its step, phase and the
 * worker's GPU bytes. (Source text: tsx would wrap named functions in a helper the page lacks.)
 */
const RECORD_SHOWN = `{
  const shown = [];
  window.soakShown = shown;
  new MutationObserver(() => {
    const gpu = document.querySelector('[data-testid="train-gpu"]');
    const step = document.querySelector('[data-testid="train-step"]');
    const live = document.querySelector('[data-testid="train-live"]');
    if (!gpu || !step || !live) return;
    const entry = { step: Number(step.getAttribute('data-step')), phase: live.getAttribute('data-phase') ?? '', bytes: Number(gpu.getAttribute('data-bytes')) };
    const last = shown.at(-1);
    if (!last || last.step !== entry.step || last.phase !== entry.phase || last.bytes !== entry.bytes) shown.push(entry);
  }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-bytes', 'data-step', 'data-phase'] });
}`;

/** A JS heap read over the DevTools protocol, after a full collection. */
type HeapReader = () => Promise<number>;

/** The page's heap. */
async function pageHeap(page: Page): Promise<{ read: HeapReader; session: CDPSession }> {
  const session = await page.context().newCDPSession(page);
  return {
    session,
    read: async () => {
      await session.send('HeapProfiler.collectGarbage');
      return (await session.send('Runtime.getHeapUsage')).usedSize;
    },
  };
}

/** The ids of the browser's dedicated workers from `origin` (the engine's is a blob: of it, so the page's CSP binds it). */
async function workerTargets(browser: Browser, origin: string): Promise<string[]> {
  const session = await browser.newBrowserCDPSession();
  const { targetInfos } = await session.send('Target.getTargets');
  await session.detach();
  return targetInfos.filter((t) => t.type === 'worker' && (t.url.startsWith(origin) || t.url.startsWith(`blob:${origin}/`))).map((t) => t.targetId);
}

/** The heap of the page's dedicated worker (the engine): the one worker of `origin` that is not in `before` (other pages' workers). */
async function workerHeap(browser: Browser, origin: string, before: string[]): Promise<{ read: HeapReader; session: CDPSession }> {
  const fresh = (await workerTargets(browser, origin)).filter((id) => !before.includes(id));
  assert(fresh.length === 1, `expected one new worker of ${origin}, found ${fresh.length}`);
  const session = await browser.newBrowserCDPSession();
  // Playwright's session is not in flat mode: messages to the worker go inside Target messages.
  const { sessionId } = await session.send('Target.attachToTarget', { targetId: fresh[0], flatten: false });
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 0;
  session.on('Target.receivedMessageFromTarget', (event) => {
    if (event.sessionId !== sessionId) return;
    const message = JSON.parse(event.message) as { id?: number; result?: unknown; error?: { message: string } };
    const waiter = message.id === undefined ? undefined : pending.get(message.id);
    if (!waiter) return;
    pending.delete(message.id!);
    if (message.error) waiter.reject(new Error(message.error.message));
    else waiter.resolve(message.result);
  });
  const send = <T>(method: string): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const id = ++nextId;
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      session.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method, params: {} }) }).catch(reject);
    });
  return {
    session,
    read: async () => {
      await send('HeapProfiler.collectGarbage');
      return (await send<{ usedSize: number }>('Runtime.getHeapUsage')).usedSize;
    },
  };
}

/** Resolves once the page shows step ≥ `step` (or throws the run's problem). */
async function reachStep(page: Page, step: number): Promise<number> {
  const seen = await page.waitForFunction(
    (s) => {
      const shown = Number(document.querySelector('[data-testid="train-step"]')?.getAttribute('data-step') ?? 0);
      const problem = document.querySelector('[data-testid="train-problem"]')?.textContent;
      return problem ? `problem: ${problem}` : shown >= s ? String(shown) : false;
    },
    step,
    { timeout: 180_000, polling: 100 },
  );
  const value = String(await seen.jsonValue());
  assert(!value.startsWith('problem'), `training failed: ${value}`);
  return Number(value);
}

export function soakTests({ root, serverUrl, browser, page: getPage, watch: getWatch }: SoakContext): TestCase[] {
  return [
    {
      name: `${STEPS} training steps in the worker keep the reported GPU bytes and the page's and worker's JS heaps flat after warm-up`,
      run: async () => {
        const page = getPage();
        const folder = writeTinyModel(root, FOLDER);

        const origin = new URL(serverUrl()).origin;
        const otherWorkers = await workerTargets(browser(), origin);
        await page.goto(serverUrl());
        assert((await waitForStatus(page.getByTestId('gpu-panel'), ['done', 'failed'])) === 'done', 'no WebGPU adapter');
        if (!(await page.getByTestId('model-panel').isVisible())) await page.getByTestId('own-setup-toggle').click();
        await page.getByTestId('model-folder-input').setInputFiles(folder);
        await page.waitForFunction((name) => document.querySelector('[data-testid="model-summary"]')?.textContent?.includes(`Loaded: ${name}`), FOLDER, { timeout: TIMEOUT_MS });
        await page.getByTestId('data-train-input').setInputFiles({ name: DATA_FILE, mimeType: 'text/csv', buffer: Buffer.from(demoRows(root, DATA_ROWS)) });
        await waitForDataReady(page);
        const fields = { ...TINY_RUN_FORM, 'train-steps': String(STEPS), 'train-checkpoint-every': String(CHECKPOINT_EVERY), 'train-eval-every': String(EVAL_EVERY), 'train-seed': '11' };
        for (const [testId, value] of Object.entries(fields)) await page.getByTestId(testId).fill(value);

        // Every progress message the page shows: its step, phase and the worker's GPU bytes.
        await page.evaluate(RECORD_SHOWN);

        const started = performance.now();
        await page.getByTestId('train-start').click();
        const pageHeapReader = await pageHeap(page);
        const workerHeapReader = await workerHeap(browser(), origin, otherWorkers);
        try {
          const heaps: { step: number; page: number; worker: number }[] = [];
          for (let at = WARM_STEP; at <= LATE_STEP; at += HEAP_SAMPLE_EVERY) {
            const step = await reachStep(page, at);
            heaps.push({ step, page: await pageHeapReader.read(), worker: await workerHeapReader.read() });
          }
          const ends = (pick: (h: (typeof heaps)[number]) => number) => [Math.min(...heaps.slice(0, 3).map(pick)), Math.min(...heaps.slice(-3).map(pick))];
          const [pageWarm, pageLate] = ends((h) => h.page);
          const [workerWarm, workerLate] = ends((h) => h.worker);
          const span = heaps.at(-2)!.step - heaps[1].step;
          const panel = page.getByTestId('train-panel');
          assert((await waitForStatus(panel, ['done', 'failed'], 180_000)) === 'done', `the run failed: ${await panel.innerText()}`);
          const seconds = (performance.now() - started) / 1000;
          assert((await page.getByTestId('train-outcome').getAttribute('data-status')) === 'finished', 'the run did not finish');

          const shown = await page.evaluate(() => (window as unknown as { soakShown: Shown[] }).soakShown);
          const training = shown.filter((s) => s.phase === 'training' && s.step >= WARM_STEP && s.step < STEPS);
          const byteValues = [...new Set(training.map((s) => s.bytes))];
          const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
          console.log(`    ${STEPS} steps in ${seconds.toFixed(1)} s; ${shown.length} progress messages shown, ${training.length} while training after step ${WARM_STEP}: GPU bytes ${byteValues.join(', ')}`);
          console.log(`    heaps (page/worker): ${heaps.map((h) => `${h.step}: ${kib(h.page)}/${kib(h.worker)}`).join(', ')}`);
          assert(training.length >= 10, `only ${training.length} progress messages were seen while training after step ${WARM_STEP}`);
          assert(byteValues.length === 1 && byteValues[0] > 0, `the worker's GPU bytes took ${byteValues.length} values after warm-up (step: bytes): ${training.slice(0, 4).map((s) => `${s.step}: ${s.bytes}`).join(', ')} … ${training.slice(-2).map((s) => `${s.step}: ${s.bytes}`).join(', ')}`);
          assert(workerLate - workerWarm < WORKER_HEAP_GROWTH_LIMIT, `the worker's JS heap grew by ${kib(workerLate - workerWarm)} over ~${span} steps (the least of the first and of the last three samples)`);
          assert(pageLate - pageWarm < PAGE_HEAP_GROWTH_PER_STEP * span, `the page's JS heap grew by ${kib(pageLate - pageWarm)} over ~${span} steps (the least of the first and of the last three samples)`);
        } finally {
          await pageHeapReader.session.detach();
          await workerHeapReader.session.detach();
        }
        assertClean(getWatch());
      },
    },
  ];
}
