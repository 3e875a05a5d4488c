/**
 * Faults during a training in the browser: the GPU device lost mid-run (the test destroys the
 * worker's device), after which the run goes on from its checkpoint on a new device and finishes;
 * and NaN with "roll back" chosen (a model whose weights hold NaN), where each rollback is shown and
 * the run then stops with a clear message. Each in a fresh browser context with the tiny model.
 * Screenshots: test-results/fault-device-lost.png, fault-nan.png.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page, Worker } from 'playwright-core';
import { watchedPage } from './browser';
import { assert, waitForStatus, TIMEOUT_MS, type TestCase } from './harness';
import { tinyModelFiles } from '../src/workers/testing';
import { writeSafetensors } from '../src/engine/io/safetensors';
import { parseModelConfig } from '../src/engine/model/config';
import { randomWeightTensors } from '../src/engine/model/random-weights';

interface FaultsContext {
  root: string;
  serverUrl: () => string;
  browser: () => Browser;
}

const FORM: Record<string, string> = {
  'train-steps': '16',
  'train-batch-size': '4',
  'train-max-length': '32',
  'train-checkpoint-every': '4',
  'train-eval-every': '0',
  'train-lr': '1e-3',
  'train-seed': '7',
};

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

  const writeModel = (name: string, poison: boolean) => {
    const folder = join(root, 'test-results', name);
    mkdirSync(folder, { recursive: true });
    const tiny = tinyModelFiles();
    const tensors = randomWeightTensors(parseModelConfig(tiny.config));
    if (poison) tensors.find(([n]) => n.endsWith('embeddings.LayerNorm.weight'))![1].data.fill(NaN);
    writeFileSync(join(folder, 'config.json'), tiny.configJson);
    writeFileSync(join(folder, 'model.safetensors'), poison ? writeSafetensors(tensors) : tiny.safetensors);
    for (const file of ['tokenizer.json', 'tokenizer_config.json']) writeFileSync(join(folder, file), readFileSync(join(root, 'test', 'fixtures', 'tokenizer-tiny', file)));
    return folder;
  };

  const readyPage = async (page: Page, folder: string, name: string) => {
    await page.goto(serverUrl());
    await waitForStatus(page.getByTestId('gpu-panel'), ['done']);
    if (!(await page.getByTestId('model-panel').isVisible())) await page.getByTestId('own-setup-toggle').click();
    await page.getByTestId('model-folder-input').setInputFiles(folder);
    await page.waitForFunction((name) => document.querySelector('[data-testid="model-summary"]')?.textContent?.includes(`Loaded: ${name}`), name, { timeout: TIMEOUT_MS });
    await page.getByTestId('data-demo').click();
    assert((await waitForStatus(page.getByTestId('data-panel'), ['ready', 'columns', 'empty'])) === 'ready', 'the demo data did not load');
    for (const [testId, value] of Object.entries(FORM)) await page.getByTestId(testId).fill(value);
  };

  return [
    {
      name: 'a GPU device lost mid-run: the run goes on from its checkpoint on a new device and finishes, and says so',
      run: async () => {
        const { page } = await watchedPage(browser());
        try {
          await readyPage(page, writeModel('fault-tiny-model', false), 'fault-tiny-model');
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
          await readyPage(page, writeModel('fault-nan-model', true), 'fault-nan-model');
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
