/**
 * What the browser tests of runs share: the tiny generated model (with the tiny test tokenizer)
 * as a folder on disk for the folder input, a page of a fresh context with it and the demo data
 * loaded, and a short run's form.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { assert, waitForStatus, TIMEOUT_MS } from './harness';
import { tinyModelFiles } from '../src/workers/testing';
import { writeSafetensors } from '../src/engine/io/safetensors';
import { parseModelConfig } from '../src/engine/model/config';
import { randomWeightTensors } from '../src/engine/model/random-weights';

/** Short runs: a handful of tiny steps on SwiftShader, a checkpoint every 4. */
export const TINY_RUN_FORM: Record<string, string> = {
  'train-steps': '16',
  'train-batch-size': '4',
  'train-max-length': '32',
  'train-checkpoint-every': '4',
  'train-eval-every': '0',
  'train-lr': '1e-3',
  'train-seed': '7',
};

/**
 * Writes the tiny model to test-results/`name` (with NaN in its embeddings' LayerNorm weight when
 * `poisoned`: every forward is NaN) and returns the folder. Write it once per test run: a tab's
 * picked files become unreadable when they change on disk.
 */
export function writeTinyModel(root: string, name: string, poisoned = false): string {
  const folder = join(root, 'test-results', name);
  mkdirSync(folder, { recursive: true });
  const tiny = tinyModelFiles();
  let weights = tiny.safetensors;
  if (poisoned) {
    const tensors = randomWeightTensors(parseModelConfig(tiny.config));
    tensors.find(([n]) => n.endsWith('embeddings.LayerNorm.weight'))![1].data.fill(NaN);
    weights = writeSafetensors(tensors);
  }
  writeFileSync(join(folder, 'config.json'), tiny.configJson);
  writeFileSync(join(folder, 'model.safetensors'), weights);
  for (const file of ['tokenizer.json', 'tokenizer_config.json']) writeFileSync(join(folder, file), readFileSync(join(root, 'test', 'fixtures', 'tokenizer-tiny', file)));
  return folder;
}

/** Opens the app, loads the model folder `folder` (named `name`) and the demo data, and fills in TINY_RUN_FORM. */
export async function readyTinyPage(page: Page, url: string, folder: string, name: string): Promise<void> {
  await page.goto(url);
  await waitForStatus(page.getByTestId('gpu-panel'), ['done']);
  if (!(await page.getByTestId('model-panel').isVisible())) await page.getByTestId('own-setup-toggle').click();
  await page.getByTestId('model-folder-input').setInputFiles(folder);
  await page.waitForFunction((name) => document.querySelector('[data-testid="model-summary"]')?.textContent?.includes(`Loaded: ${name}`), name, { timeout: TIMEOUT_MS });
  await page.getByTestId('data-demo').click();
  await waitForDataReady(page);
  for (const [testId, value] of Object.entries(TINY_RUN_FORM)) await page.getByTestId(testId).fill(value);
}

/**
 * Waits until the data panel has its examples. Right after a data button or file input is used,
 * the panel may still say 'empty' or 'columns' (the load has not begun): so wait for 'ready' itself.
 */
export async function waitForDataReady(page: Page): Promise<void> {
  const data = page.getByTestId('data-panel');
  await waitForStatus(data, ['ready']).catch(async () => assert(false, `the data did not load: ${(await data.innerText()).slice(0, 400)}`));
}
