/**
 * Training in the browser: a short run (24 steps of batch 4) on the built-in demo data with a
 * tiny generated model (picked as a folder), a reload in the middle, the run listed as
 * interrupted at its last checkpoint, the same folder and data loaded again, Resume, and the run
 * finishing with metrics, one continuous loss curve and a validation evaluation at every
 * checkpoint step (the one the reload cut off included). Then Stop keeps a run as paused, and Delete removes it.
 * Screenshots: test-results/train.png (the Train section after the resumed run) and
 * test-results/train-interrupted.png, train-runs.png (the saved runs after the reload and at the end).
 */
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type { PageWatch } from './browser';
import { assert, assertClean, waitForStatus, TIMEOUT_MS, type TestCase } from './harness';
import { TINY_RUN_FORM, waitForDataReady, writeTinyModel } from './tiny-run';

interface TrainContext {
  root: string;
  page: () => Page;
  watch: () => PageWatch;
}

/** Long enough that the reload lands before the end even when steps are fast; short on SwiftShader. */
const STEPS = 24;
const CHECKPOINT_EVERY = 4;
/** On the checkpoint steps: the resumed run must evaluate the step it resumes from (the reload came before that). */
const EVAL_EVERY = 4;
const FOLDER = 'tiny-model';

export function trainTests({ root, page: getPage, watch: getWatch }: TrainContext): TestCase[] {
  /** The generated tiny model with the tiny test tokenizer, as a folder on disk for the folder input. */
  const folder = join(root, 'test-results', FOLDER);
  const writeFolder = () => writeTinyModel(root, FOLDER);

  const loadTinyFolder = async (page: Page) => {
    await page.getByTestId('model-folder-input').setInputFiles(folder);
    await page.waitForFunction(
      (name) => {
        const summary = document.querySelector('[data-testid="model-summary"]');
        return summary?.getAttribute('data-vocab') === '400' && summary.textContent?.includes(`Loaded: ${name}`);
      },
      FOLDER,
      { timeout: TIMEOUT_MS },
    );
  };

  const loadDemoData = async (page: Page) => {
    const file = page.getByTestId('data-file-train');
    if ((await file.isVisible()) && (await file.innerText()).includes('demo/data/train.csv') && (await page.getByTestId('examples-summary').isVisible())) return;
    await page.getByTestId('data-demo').click();
    await waitForDataReady(page);
  };

  const fillForm = async (page: Page) => {
    const fields = { ...TINY_RUN_FORM, 'train-steps': String(STEPS), 'train-checkpoint-every': String(CHECKPOINT_EVERY), 'train-eval-every': String(EVAL_EVERY) };
    for (const [testId, value] of Object.entries(fields)) await page.getByTestId(testId).fill(value);
  };

  const runRows = (page: Page) => page.getByTestId('run-row');
  let interruptedAt = 0;
  let runId = '';

  return [
    {
      name: 'a short run trains in the worker and saves checkpoints; a reload leaves it listed as interrupted at its last checkpoint',
      run: async () => {
        const page = getPage();
        writeFolder();
        await loadTinyFolder(page);
        await loadDemoData(page);
        assert(await page.getByTestId('train-local-note').isVisible(), 'the panel does not say that a local folder must be chosen again to resume');
        await fillForm(page);
        // Before it starts, the form says what the run will need on the GPU, and that it fits.
        const estimate = page.getByTestId('train-memory-estimate');
        assert(Number(await estimate.getAttribute('data-bytes')) > 0 && (await estimate.getAttribute('data-fits')) === 'true', `memory estimate: ${await estimate.innerText()}`);
        assert(/^GPU memory: about [\d.]+ [KMG]i?B at the peak/.test(await estimate.innerText()), `memory estimate: ${await estimate.innerText()}`);
        await page.getByTestId('train-start').click();
        // Reload as soon as step 5 is reported: the checkpoint of step 4 is in IndexedDB by then.
        const seen = await page.waitForFunction(
          () => {
            const step = Number(document.querySelector('[data-testid="train-step"]')?.getAttribute('data-step') ?? 0);
            const problem = document.querySelector('[data-testid="train-problem"]')?.textContent;
            return problem ? `problem: ${problem}` : step >= 5 ? `step ${step}` : false;
          },
          undefined,
          { timeout: 120_000, polling: 'raf' },
        );
        const before = String(await seen.jsonValue());
        assert(before.startsWith('step'), `training failed: ${before}`);
        runId = (await page.getByTestId('train-live').getAttribute('data-run-id')) ?? '';
        await page.reload();
        console.log(`    reloaded at ${before}`);

        const runs = page.getByTestId('runs');
        assert((await waitForStatus(runs, ['done', 'failed'])) === 'done', `the runs list failed: ${await runs.innerText()}`);
        const row = page.locator(`[data-testid="run-row"][data-run-id="${runId}"]`);
        assert((await row.count()) === 1, `the run ${runId} is not listed: ${await runs.innerText()}`);
        const status = await row.getAttribute('data-status');
        interruptedAt = Number(await row.getAttribute('data-step'));
        const lastLoss = Number(await row.getAttribute('data-last-loss'));
        console.log(`    listed: ${status} at step ${interruptedAt}/${STEPS}, last loss ${lastLoss.toFixed(4)}`);
        assert(status === 'interrupted', `the run is listed as ${status}, not interrupted`);
        assert(interruptedAt > 0 && interruptedAt < STEPS && interruptedAt % CHECKPOINT_EVERY === 0, `the run was saved at step ${interruptedAt}, not at a checkpoint (a multiple of ${CHECKPOINT_EVERY} below ${STEPS})`);
        assert(Number.isFinite(lastLoss) && lastLoss > 0, `no last loss: ${await row.getAttribute('data-last-loss')}`);
        assert((await row.innerText()).includes(`${interruptedAt} / ${STEPS}`), `the row does not show step/total: ${await row.innerText()}`);
        assert(/choose the model folder “tiny-model”/.test(await row.getByTestId('run-needs-files').innerText()), 'the row does not say which folder to choose again');
        assert(await row.getByTestId('run-resume').isVisible(), 'no Resume button for the interrupted run');
        await runs.screenshot({ path: join(root, 'test-results', 'train-interrupted.png') });
        assertClean(getWatch());
      },
    },
    {
      name: 'Resume, after loading the same folder and data again, continues from the checkpoint to the end with metrics and one continuous curve',
      run: async () => {
        const page = getPage();
        assert(runId !== '', 'no interrupted run from the test before');
        await waitForStatus(page.getByTestId('gpu-panel'), ['done']);
        const row = page.locator(`[data-testid="run-row"][data-run-id="${runId}"]`);

        // Without the folder, Resume says what to load.
        await row.getByTestId('run-resume').click();
        const problem = page.getByTestId('train-problem');
        await problem.waitFor({ timeout: TIMEOUT_MS });
        const message = await problem.locator('.problem-message').innerText();
        console.log(`    without the folder: ${message}`);
        assert(/folder “tiny-model” from this computer/.test(message), `unclear message: ${message}`);

        await loadTinyFolder(page);
        await loadDemoData(page);
        await row.getByTestId('run-resume').click();
        // The failed attempt above left the panel "failed": wait for this attempt's first report.
        await page.locator(`[data-testid="train-live"][data-run-id="${runId}"]`).waitFor({ timeout: TIMEOUT_MS });
        const panel = page.getByTestId('train-panel');
        const status = await waitForStatus(panel, ['done', 'failed'], 180_000);
        assert(status === 'done', `the resumed run failed: ${await panel.innerText()}`);
        const outcome = page.getByTestId('train-outcome');
        assert((await outcome.getAttribute('data-status')) === 'finished', `the run did not finish: ${await outcome.innerText()}`);
        const metrics = page.getByTestId('train-metrics');
        const accuracy = Number(await metrics.getAttribute('data-accuracy'));
        const macroF1 = Number(await metrics.getAttribute('data-macro-f1'));
        const mcc = Number(await metrics.getAttribute('data-mcc'));
        assert([accuracy, macroF1, mcc].every(Number.isFinite) && accuracy > 0 && accuracy <= 1, `odd metrics: ${await metrics.innerText()}`);
        const text = await metrics.innerText();
        assert(/Accuracy/.test(text) && /Macro-F1/.test(text) && /MCC/.test(text), `metrics not all shown: ${text}`);

        const chart = page.getByTestId('loss-chart');
        const steps = ((await chart.getAttribute('data-steps')) ?? '').split(',').map(Number);
        const resumedFrom = Number(await chart.getAttribute('data-resumed-from'));
        console.log(`    resumed from ${resumedFrom}; loss points at steps ${steps.join(', ')}; accuracy ${(accuracy * 100).toFixed(1)}%, macro-F1 ${macroF1.toFixed(3)}, MCC ${mcc.toFixed(3)}`);
        console.log(`    ${(await page.getByTestId('train-speed').innerText()).trim()}; GPU ${(await page.getByTestId('train-gpu').innerText()).trim()}`);
        assert(resumedFrom === interruptedAt, `the run resumed from ${resumedFrom}, not from its checkpoint at ${interruptedAt}`);
        assert(steps.at(-1) === STEPS, `the curve ends at step ${steps.at(-1)}, not ${STEPS}`);
        assert(steps.some((s) => s <= interruptedAt) && steps.some((s) => s > interruptedAt), `the curve does not span the checkpoint: ${steps.join(',')}`);
        const gaps = steps.map((s, i) => s - (i ? steps[i - 1] : 0));
        assert(gaps.every((g) => g > 0 && g <= CHECKPOINT_EVERY), `the curve is not continuous: steps ${steps.join(',')}`);
        // Validation every EVAL_EVERY steps before and after the reload, and the final one at the end.
        const wantEvals = Array.from({ length: STEPS / EVAL_EVERY }, (_, i) => (i + 1) * EVAL_EVERY).join(',');
        const evalSteps = (await page.getByTestId('eval-table').getAttribute('data-steps')) ?? '';
        const chartEvalSteps = (await chart.getAttribute('data-eval-steps')) ?? '';
        const evalRows = page.getByTestId('eval-row');
        const lastAccuracy = Number(await evalRows.last().getAttribute('data-accuracy'));
        console.log(`    validation after steps ${evalSteps}; the last: ${(await evalRows.last().innerText()).replace(/\s+/g, ' ').trim()}`);
        assert(evalSteps === wantEvals, `validation ran after steps ${evalSteps}, not ${wantEvals}`);
        assert(chartEvalSteps === wantEvals, `the chart shows validation points at steps ${chartEvalSteps}, not ${wantEvals}`);
        assert(lastAccuracy === accuracy, `the final evaluation's accuracy ${lastAccuracy} is not the result's ${accuracy}`);
        const validationLosses = await evalRows.evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-loss'))));
        assert(validationLosses.every((l) => Number.isFinite(l) && l > 0), `odd validation losses: ${validationLosses.join(', ')}`);

        const finishedRow = page.locator(`[data-testid="run-row"][data-run-id="${runId}"]`);
        await page.waitForFunction((id) => document.querySelector(`[data-testid="run-row"][data-run-id="${id}"]`)?.getAttribute('data-status') === 'finished', runId, {
          timeout: TIMEOUT_MS,
        });
        assert(Number(await finishedRow.getAttribute('data-step')) === STEPS, `the finished run is listed at step ${await finishedRow.getAttribute('data-step')}`);
        assert((await finishedRow.getByTestId('run-resume').count()) === 0, 'a finished run offers Resume');
        await panel.screenshot({ path: join(root, 'test-results', 'train.png') });
        await page.getByTestId('runs').screenshot({ path: join(root, 'test-results', 'train-runs.png') });
        assertClean(getWatch());
      },
    },
    {
      name: 'Stop finishes the current step and keeps the run as paused; Delete removes it',
      run: async () => {
        const page = getPage();
        const before = await runRows(page).count();
        await fillForm(page);
        await page.getByTestId('train-steps').fill('40');
        await page.getByTestId('train-start').click();
        await page.waitForFunction(() => Number(document.querySelector('[data-testid="train-step"]')?.getAttribute('data-step') ?? 0) >= 1 || !!document.querySelector('[data-testid="train-problem"]'), undefined, {
          timeout: TIMEOUT_MS,
        });
        const stoppedId = (await page.getByTestId('train-live').getAttribute('data-run-id')) ?? '';
        await page.getByTestId('train-stop').click();
        const panel = page.getByTestId('train-panel');
        assert((await waitForStatus(panel, ['done', 'failed'])) === 'done', `stopping failed: ${await panel.innerText()}`);
        const outcome = page.getByTestId('train-outcome');
        assert((await outcome.getAttribute('data-status')) === 'paused', `not paused: ${await outcome.innerText()}`);
        const row = page.locator(`[data-testid="run-row"][data-run-id="${stoppedId}"]`);
        await page.waitForFunction((id) => document.querySelector(`[data-testid="run-row"][data-run-id="${id}"]`)?.getAttribute('data-status') === 'paused', stoppedId, {
          timeout: TIMEOUT_MS,
        });
        const step = Number(await row.getAttribute('data-step'));
        console.log(`    stopped and saved at step ${step} of 40`);
        assert(step >= 1 && step < 40, `paused at step ${step}`);
        assert(await row.getByTestId('run-resume').isVisible(), 'no Resume for the paused run');
        page.once('dialog', (dialog) => void dialog.accept());
        await row.getByTestId('run-delete').click();
        await row.waitFor({ state: 'detached', timeout: TIMEOUT_MS });
        assert((await runRows(page).count()) === before, 'the run list did not shrink back after Delete');
        assertClean(getWatch());
      },
    },
  ];
}
