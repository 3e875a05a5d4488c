/**
 * Faults during a training in the browser: the GPU device lost mid-run (the test destroys the
 * worker's device), after which the run goes on from its checkpoint on a new device and finishes;
 * and NaN with "roll back" chosen (a model whose weights hold NaN), where each rollback is shown and
 * the run then stops with a clear message. Each in a fresh browser context with the tiny model.
 * Screenshots: test-results/fault-device-lost.png, fault-nan.png.
 */
import { join } from 'node:path';
import type { Browser, Page, Worker } from 'playwright-core';
import { watchedPage } from './browser';
import { assert, waitForStatus, type TestCase } from './harness';
import { readyTinyPage, writeTinyModel } from './tiny-run';

interface FaultsContext {
  root: string;
  serverUrl: () => string;
  browser: () => Browser;
}

/** Keeps every GPUDevice the worker uses, so the test can destroy it (test code only, run in the worker). */
async function trackDevices(worker: Worker): Promise<void> {
  await worker.evaluate(() => {
    const scope = globalThis as unknown as { testDevices?: Set<GPUDevice> };
    scope.testDevices = new Set();
    const original = GPUDevice.prototype.createBindGroup;
    GPUDevice.prototype.createBindGroup = function (this: GPUDevice, descriptor: GPUBindGroupDescriptor) {
      scope.testDevices!.add(this);
      return original.call(this, descriptor);
    };
  });
}

async function destroyDevices(worker: Worker): Promise<number> {
  return worker.evaluate(() => {
    const devices = (globalThis as unknown as { testDevices: Set<GPUDevice> }).testDevices;
    const n = devices.size;
    for (const device of devices) device.destroy();
    devices.clear();
    return n;
  });
}

export function faultTests({ root, serverUrl, browser }: FaultsContext): TestCase[] {
  const shot = (page: Page, name: string) => page.getByTestId('train-panel').screenshot({ path: join(root, 'test-results', name) });

  return [
    {
      name: 'a GPU device lost mid-run: the run goes on from its checkpoint on a new device and finishes, and says so',
      run: async () => {
        const { page } = await watchedPage(browser());
        try {
          await readyTinyPage(page, serverUrl(), writeTinyModel(root, 'fault-tiny-model'), 'fault-tiny-model');
          const worker = page.workers()[0];
          assert(worker !== undefined, 'no engine worker');
          await trackDevices(worker);
          await page.getByTestId('train-start').click();
          await page.waitForFunction(() => Number(document.querySelector('[data-testid="train-step"]')?.getAttribute('data-step') ?? 0) >= 6, undefined, { timeout: 120_000, polling: 50 });
          assert((await destroyDevices(worker)) >= 1, 'the worker used no GPU device');
          const panel = page.getByTestId('train-panel');
          assert((await waitForStatus(panel, ['done', 'failed'], 180_000)) === 'done', `the run failed: ${await panel.innerText()}`);
          assert((await page.getByTestId('train-outcome').getAttribute('data-status')) === 'finished', 'the run did not finish');
          const note = page.getByTestId('train-recoveries');
          assert((await note.getAttribute('data-count')) === '1', `recoveries: ${await note.getAttribute('data-count')}`);
          const text = await note.innerText();
          console.log(`    ${text}`);
          assert(/^The GPU device was lost \(noticed at step \d+\): training went on from the checkpoint at step \d+ on a new device\./.test(text), `unclear note: ${text}`);
          const steps = ((await page.getByTestId('loss-chart').getAttribute('data-steps')) ?? '').split(',').map(Number);
          assert(steps.at(-1) === 16 && steps.every((s, i) => s > (i ? steps[i - 1] : 0)), `the loss curve is not one run to step 16: ${steps.join(',')}`);
          await shot(page, 'fault-device-lost.png');
        } finally {
          await page.context().close();
        }
      },
    },
    {
      name: 'NaN with "roll back" chosen: each rollback is shown, then the run stops with what went wrong and what to do',
      run: async () => {
        const { page } = await watchedPage(browser());
        try {
          await readyTinyPage(page, serverUrl(), writeTinyModel(root, 'fault-nan-model', true), 'fault-nan-model');
          await page.getByTestId('train-on-nan').selectOption('rollback');
          await page.getByTestId('train-start').click();
          const problem = page.getByTestId('train-problem');
          await problem.waitFor({ timeout: 120_000 });
          assert((await problem.getAttribute('data-code')) === 'NON_FINITE_LOSS', `the problem is ${await problem.getAttribute('data-code')}`);
          const message = await problem.innerText();
          assert(/The loss became NaN at step 1, after 3 rollbacks/.test(message), `unclear message: ${message}`);
          const note = page.getByTestId('train-rollbacks');
          assert((await note.getAttribute('data-count')) === '3' && (await note.getAttribute('data-lr-scale')) === '0.125', `rollbacks: ${await note.innerText()}`);
          console.log(`    ${await note.innerText()}`);
          await shot(page, 'fault-nan.png');
        } finally {
          await page.context().close();
        }
      },
    },
  ];
}
