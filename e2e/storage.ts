/**
 * Saved runs under stress in the browser, each test in a fresh browser context (its own
 * IndexedDB) with the tiny generated model and the demo data: two tabs on one run (the second's
 * Resume is refused with a clear message and touches nothing; the first finishes), and a full
 * disk (Chromium's quota for the page's origin overridden through CDP): the run pauses, says what
 * the saved runs take, and saves and finishes once there is room again (the list of runs to delete
 * is checked in Node: src/workers/handlers/run-storage.test.ts).
 * Screenshots: test-results/storage-other-tab.png, test-results/storage-full.png.
 */
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { watchedPage } from './browser';
import { assert, assertClean, waitForStatus, TIMEOUT_MS, type TestCase } from './harness';
import { readyTinyPage, writeTinyModel } from './tiny-run';

interface StorageContext {
  root: string;
  serverUrl: () => string;
  browser: () => Browser;
}

const FOLDER = 'storage-tiny-model';
/** The two-tab run: long enough to be paused mid-way. */
const TWO_TAB_STEPS = 60;

export function storageTests({ root, serverUrl, browser }: StorageContext): TestCase[] {
  const folder = join(root, 'test-results', FOLDER);
  const shot = (page: Page, name: string) => page.getByTestId('train-panel').screenshot({ path: join(root, 'test-results', name) });

  /** A page of a fresh context (or of `context`'s, a second tab) with the tiny model and the demo data loaded. */
  let written = false;
  const readyPage = async (page: Page) => {
    if (!written) writeTinyModel(root, FOLDER);
    written = true;
    await readyTinyPage(page, serverUrl(), folder, FOLDER);
  };

  const step = async (page: Page) => Number(await page.getByTestId('train-step').getAttribute('data-step'));
  /** Waits until the run reports at least `n` steps (failing on a problem shown instead). */
  const untilStep = async (page: Page, n: number) => {
    const seen = await page.waitForFunction(
      (n) => {
        const problem = document.querySelector('[data-testid="train-problem"]')?.textContent;
        const s = Number(document.querySelector('[data-testid="train-step"]')?.getAttribute('data-step') ?? 0);
        return problem ? `problem: ${problem}` : s >= n ? 'ok' : false;
      },
      n,
      { timeout: 120_000, polling: 100 },
    );
    const what = String(await seen.jsonValue());
    assert(what === 'ok', `the run did not reach step ${n}: ${what}`);
  };
  const pauseRun = async (page: Page) => {
    await page.getByTestId('train-pause').click();
    await page.waitForFunction(() => !document.querySelector('[data-testid="train-continue"]')?.hasAttribute('disabled'), undefined, { timeout: TIMEOUT_MS });
  };
  const row = (page: Page, runId: string) => page.locator(`[data-testid="run-row"][data-run-id="${runId}"]`);
  const rowStatus = (page: Page, runId: string, status: string) =>
    page.waitForFunction(([id, status]) => document.querySelector(`[data-testid="run-row"][data-run-id="${id}"]`)?.getAttribute('data-status') === status, [runId, status] as const, { timeout: TIMEOUT_MS });
  /** Starts a run and stops it after its first step: saved as paused. */
  const stoppedRun = async (page: Page) => {
    await page.getByTestId('train-start').click();
    await untilStep(page, 1);
    const runId = (await page.getByTestId('train-live').getAttribute('data-run-id')) ?? '';
    await page.getByTestId('train-stop').click();
    assert((await waitForStatus(page.getByTestId('train-panel'), ['done', 'failed'])) === 'done', `stopping failed: ${await page.getByTestId('train-panel').innerText()}`);
    await rowStatus(page, runId, 'paused');
    return runId;
  };
  const finishes = async (page: Page, total = 16) => {
    const panel = page.getByTestId('train-panel');
    assert((await waitForStatus(panel, ['done', 'failed'], 180_000)) === 'done', `the run failed: ${await panel.innerText()}`);
    assert((await page.getByTestId('train-outcome').getAttribute('data-status')) === 'finished', `the run did not finish: ${await page.getByTestId('train-outcome').innerText()}`);
    const steps = ((await page.getByTestId('loss-chart').getAttribute('data-steps')) ?? '').split(',').map(Number);
    assert(steps.at(-1) === total && steps.every((s, i) => s > (i ? steps[i - 1] : 0)), `the loss curve is not one run to step ${total}: ${steps.join(',')}`);
    return steps;
  };

  return [
    {
      name: 'two tabs on one run: the second tab’s Resume is refused with a clear message and touches nothing; the first tab finishes the run',
      run: async () => {
        const { page: first, watch } = await watchedPage(browser());
        const secondErrors: string[] = [];
        try {
          await readyPage(first);
          await first.getByTestId('train-steps').fill(String(TWO_TAB_STEPS)); // long enough to pause it mid-way
          const runId = await stoppedRun(first);
          // The second tab opens while the run is stopped: it lists the run as resumable.
          const second = await first.context().newPage();
          second.on('console', (m) => m.type() === 'error' && secondErrors.push(m.text()));
          second.on('pageerror', (e) => secondErrors.push(e.message));
          await readyPage(second);
          await rowStatus(second, runId, 'paused');
          // The first tab resumes it, and holds it (paused, still in memory) while the second tries.
          await first.bringToFront();
          await row(first, runId).getByTestId('run-resume').click();
          await first.locator(`[data-testid="train-live"][data-run-id="${runId}"]`).waitFor({ timeout: TIMEOUT_MS });
          await untilStep(first, 5);
          await pauseRun(first);
          const pausedAt = await step(first);
          assert(pausedAt < TWO_TAB_STEPS, `the run ended (step ${pausedAt}) before it could be paused`);

          await second.bringToFront();
          await row(second, runId).getByTestId('run-resume').click();
          const problem = second.getByTestId('train-problem');
          await problem.waitFor({ timeout: TIMEOUT_MS });
          const code = await problem.getAttribute('data-code');
          const message = await problem.locator('.problem-message').innerText();
          console.log(`    second tab: ${code}: ${message}`);
          assert(code === 'RUN_OPEN_ELSEWHERE', `the refusal is ${code}, not RUN_OPEN_ELSEWHERE`);
          assert(/^This run is open in another tab: .* Switch to that tab and stop it there .*, or close that tab; then try again here\.$/.test(message), `unclear message: ${message}`);
          assert((await problem.innerText()).includes('This run is open in another tab'), 'no title on the refusal');
          // Its list now shows the run as running (in the other tab): no Resume, no Delete.
          await rowStatus(second, runId, 'running');
          assert((await row(second, runId).getByTestId('run-resume').count()) === 0, 'the second tab still offers Resume');
          assert(await row(second, runId).getByTestId('run-delete').isDisabled(), 'the second tab can delete the run the first trains');
          await shot(second, 'storage-other-tab.png');

          assert((await step(first)) === pausedAt && (await first.getByTestId('train-live').getAttribute('data-phase')) !== 'done', 'the first tab’s run moved while paused');
          await first.bringToFront();
          await first.getByTestId('train-continue').click();
          const steps = await finishes(first, TWO_TAB_STEPS);
          console.log(`    first tab: paused at ${pausedAt}, finished; loss points at ${steps.join(',')}`);
          await rowStatus(first, runId, 'finished');
          assert(secondErrors.length === 0, `the second tab logged errors: ${secondErrors.join('; ')}`);
          assertClean(watch);
        } finally {
          await first.context().close();
        }
      },
    },
    {
      name: 'a full disk pauses the run with what the saved runs take, nothing lost; with room again Continue saves it and the run finishes',
      run: async () => {
        const { page, watch } = await watchedPage(browser());
        const cdp = await page.context().newCDPSession(page);
        const origin = new URL(serverUrl()).origin;
        try {
          // No room for this origin. Chromium reads the quota when the origin first writes to
          // IndexedDB (it is cached afterwards while there is room), so it is set before the page loads.
          await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: 1 });
          await readyPage(page);
          await page.getByTestId('train-start').click();
          const full = page.getByTestId('train-storage-full');
          await full.waitFor({ timeout: 120_000 });
          const text = await full.innerText();
          console.log(`    ${text.split('\n').slice(0, 2).join(' | ')}`);
          assert(/Storage is full: the run is paused, nothing is lost/.test(text), `no title: ${text}`);
          assert(/storage for the app is full \(.+ used of .+ allowed\): the checkpoint could not be saved\. Saved runs take 0 B\./.test(text), `the message does not say what is used and allowed: ${text}`);
          assert(/There are no other saved runs to delete: free space in this browser/.test(text), `the message does not say what to free: ${text}`);
          assert(/Nothing of this run is saved yet; its training waits in memory, paused: after making room, click Continue to save it\./.test(text), `the message does not say what happens next: ${text}`);
          const live = page.getByTestId('train-live');
          const runId = (await live.getAttribute('data-run-id')) ?? '';
          assert((await live.getAttribute('data-phase')) === 'saving' && (await step(page)) === 0, 'the run did not stop at its first checkpoint');
          assert(await page.getByTestId('train-continue').isEnabled(), 'Continue is not offered');
          await shot(page, 'storage-full.png');
          // Continue while still full: it tries again and stays paused with the same advice.
          await page.getByTestId('storage-continue').click();
          await page.waitForTimeout(500);
          assert((await full.count()) === 1 && (await page.getByTestId('train-panel').getAttribute('data-status')) === 'running', 'the run did not stay paused while storage is still full');

          await cdp.send('Storage.overrideQuotaForOrigin', { origin });
          await page.getByTestId('storage-continue').click();
          const steps = await finishes(page);
          assert((await full.count()) === 0, 'the storage message stays after the save');
          await rowStatus(page, runId, 'finished');
          console.log(`    saved once the quota came back; finished with loss points at ${steps.join(',')}`);
          assertClean(watch);
        } finally {
          await cdp.send('Storage.overrideQuotaForOrigin', { origin }).catch(() => {});
          await page.context().close();
        }
      },
    },
  ];
}
