/**
 * The setup screen in the browser: demo data, a model folder through the file input, bad input
 * with its specific message (and the previous state kept), the tokenize check, the adapter zip
 * download and the runs list. Screenshots: test-results/setup-*.png (one panel each, and
 * setup-page.png of the whole page).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import type { Locator, Page } from 'playwright-core';
import type { PageWatch } from './browser';
import { assert, assertClean, waitForStatus, type TestCase } from './harness';

interface SetupContext {
  root: string;
  page: () => Page;
  watch: () => PageWatch;
}

/** The engine's message inside a problem box (without its title and advice). */
const messageOf = (problem: Locator) => problem.locator('.problem-message').innerText();

export function setupTests({ root, page: getPage, watch: getWatch }: SetupContext): TestCase[] {
  const fixture = join(root, 'test', 'fixtures', 'lora-awkward');
  const tinyTokenizer = join(root, 'test', 'fixtures', 'tokenizer-tiny');
  const fileOf = (dir: string, name: string) => ({ name, mimeType: 'application/octet-stream', buffer: readFileSync(join(dir, name)) });
  /** A screenshot of one panel (readable at full size) or of the whole page. */
  const shot = (page: Page, name: string, testId?: string) =>
    testId ? page.getByTestId(testId).screenshot({ path: join(root, 'test-results', name) }) : page.screenshot({ path: join(root, 'test-results', name), fullPage: true });
  const demoModelBuilt = existsSync(join(root, 'dist', 'demo', 'model', 'config.json'));

  return [
    {
      name: 'the built-in demo data loads: preview rows, label balance and the validation file',
      run: async () => {
        const page = getPage();
        await page.getByTestId('data-demo').click();
        const panel = page.getByTestId('data-panel');
        const status = await waitForStatus(panel, ['ready', 'columns', 'empty']);
        assert(status === 'ready', `the demo data did not load: ${await panel.innerText()}`);
        const rows = await page.getByTestId('data-preview').locator('tbody tr').count();
        assert(rows === 5, `the preview shows ${rows} rows, not 5`);
        const balance = await page.getByTestId('label-balance').innerText();
        console.log(`    training labels: ${balance.split('\n').filter((l) => /ham|spam/.test(l)).join(' | ').replace(/\t/g, ' ')}`);
        assert(/ham\s+[\d,]+\s+\d+\.\d%/.test(balance) && /spam\s+[\d,]+\s+\d+\.\d%/.test(balance), `no ham/spam counts and percentages in: ${balance}`);
        const summary = page.getByTestId('examples-summary');
        const train = Number(await summary.getAttribute('data-train'));
        const validation = Number(await summary.getAttribute('data-validation'));
        assert(train + validation === 5887, `${train} + ${validation} examples, expected 5887 in all`);
        assert(await page.getByTestId('data-file-validation').isVisible(), 'the validation file is not listed');
        assert((await page.getByTestId('column-text').inputValue()) === 'text', 'the text column was not guessed');
        assert((await page.getByTestId('column-label').inputValue()) === 'label', 'the label column was not guessed');
        await shot(page, 'setup-data.png', 'data-panel');
        await shot(page, 'setup-page.png');
        assertClean(getWatch());
      },
    },
    {
      name: 'a model folder loads through the folder input and is described',
      run: async () => {
        const page = getPage();
        // The whole fixture folder, as a directory picker gives it (config.json, model.safetensors, and files the loader ignores).
        await page.getByTestId('model-folder-input').setInputFiles(fixture);
        const panel = page.getByTestId('model-panel');
        await waitForStatus(panel, ['loaded', 'empty']);
        const problem = page.getByTestId('model-problem');
        assert(!(await problem.isVisible()), `the model did not load: ${await panel.innerText()}`);
        const summary = page.getByTestId('model-summary');
        const attr = async (name: string) => summary.getAttribute(`data-${name}`);
        const shape = `${await attr('layers')} layers × ${await attr('hidden')} hidden × ${await attr('heads')} heads, FFN ${await attr('intermediate')}, vocab ${await attr('vocab')}`;
        console.log(`    ${shape}; labels ${await attr('labels')}; ${await page.getByTestId('model-gpu-bytes').innerText()} on the GPU`);
        assert(shape === '3 layers × 30 hidden × 3 heads, FFN 47, vocab 97', `unexpected shape: ${shape}`);
        assert((await attr('labels')) === 'LABEL_0,LABEL_1,LABEL_2', `unexpected labels ${await attr('labels')}`);
        assert(Number(await attr('gpu-bytes')) > 0, 'no GPU memory reported');
        const text = await summary.innerText();
        assert(text.includes('lora-awkward'), `the folder name is not shown: ${text}`);
        assert(/no tokenizer/.test(await page.getByTestId('model-tokenizer-problem').innerText()), 'the missing tokenizer is not explained');
        await shot(page, 'setup-model.png', 'model-panel');
        assertClean(getWatch());
      },
    },
    {
      name: 'the tokenize check explains that this model has no tokenizer',
      run: async () => {
        const page = getPage();
        await page.getByTestId('tokenize-run').click();
        const check = page.getByTestId('tokenize-check');
        await waitForStatus(check, ['done', 'failed']);
        const problem = page.getByTestId('tokenize-problem');
        assert((await problem.getAttribute('data-error')) === 'NotReadyError', `expected NotReadyError, got ${await problem.getAttribute('data-error')}`);
        assert(/no tokenizer/.test(await problem.innerText()), `unclear message: ${await problem.innerText()}`);
        assertClean(getWatch());
      },
    },
    {
      name: 'a config.json of another architecture is refused by name and the loaded model is kept',
      run: async () => {
        const page = getPage();
        const config = { ...JSON.parse(readFileSync(join(fixture, 'config.json'), 'utf8')), model_type: 'bert' };
        await page.getByTestId('model-files-input').setInputFiles([
          { name: 'config.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(config)) },
          { name: 'model.safetensors', mimeType: 'application/octet-stream', buffer: readFileSync(join(fixture, 'model.safetensors')) },
        ]);
        const problem = page.getByTestId('model-problem');
        await problem.waitFor();
        const text = await problem.innerText();
        console.log(`    ${await messageOf(problem)}`);
        assert((await problem.getAttribute('data-error')) === 'BadInputError', `expected BadInputError, got ${await problem.getAttribute('data-error')}`);
        assert(/config\.json: unsupported model type "bert"; supported: roberta/.test(text), `not the specific message: ${text}`);
        const summary = page.getByTestId('model-summary');
        assert((await summary.getAttribute('data-layers')) === '3', 'the previously loaded model is gone');
        assert((await summary.innerText()).startsWith('Still loaded'), 'the kept model is not marked as still loaded');
        await shot(page, 'setup-model-error.png', 'model-panel');
        assertClean(getWatch());
      },
    },
    {
      name: 'a data file without a label column is refused by name and the loaded data is kept',
      run: async () => {
        const page = getPage();
        await page.getByTestId('data-train-input').setInputFiles({ name: 'no-label.csv', mimeType: 'text/csv', buffer: Buffer.from('text\nhello there\nsee you\n') });
        const problem = page.getByTestId('data-problem');
        await problem.waitFor();
        const text = await problem.innerText();
        console.log(`    ${await messageOf(problem)}`);
        assert((await problem.getAttribute('data-error')) === 'BadInputError', `expected BadInputError, got ${await problem.getAttribute('data-error')}`);
        assert(/no-label\.csv: has only one column \("text"\); a dataset needs a text column and a label column/.test(text), `not the specific message: ${text}`);
        const rows = await page.getByTestId('data-preview').locator('tbody tr').count();
        assert(rows === 5, 'the previously loaded data is gone');
        assert((await page.getByTestId('data-file-train').innerText()).includes('demo/data/train.csv'), 'the kept data is not the demo data');
        await shot(page, 'setup-data-error.png', 'data-panel');
        assertClean(getWatch());
      },
    },
    {
      name: 'a tokenizer larger than the model’s vocabulary is reported, and the tokenize check refuses it',
      run: async () => {
        const page = getPage();
        await page.getByTestId('model-files-input').setInputFiles([
          fileOf(fixture, 'config.json'),
          fileOf(fixture, 'model.safetensors'),
          fileOf(tinyTokenizer, 'tokenizer.json'),
          fileOf(tinyTokenizer, 'tokenizer_config.json'),
        ]);
        const note = page.getByTestId('model-tokenizer-problem');
        await page.waitForFunction(() => /has 400 tokens/.test(document.querySelector('[data-testid="model-tokenizer-problem"]')?.textContent ?? ''));
        assert(/tokenizer\.json: has 400 tokens but config\.json's vocab_size is 97/.test(await note.innerText()), `unclear note: ${await note.innerText()}`);
        await page.getByTestId('tokenize-run').click();
        await page.waitForFunction(() => /has 400 tokens/.test(document.querySelector('[data-testid="tokenize-problem"]')?.textContent ?? ''));
        const problem = page.getByTestId('tokenize-problem');
        console.log(`    ${await messageOf(problem)}`);
        assert((await problem.getAttribute('data-error')) === 'BadInputError', `expected BadInputError, got ${await problem.getAttribute('data-error')}`);
        assertClean(getWatch());
      },
    },
    {
      name: 'the demo model loads and the tokenize check counts tokens',
      run: async () => {
        const page = getPage();
        await page.getByTestId('model-demo').click();
        const panel = page.getByTestId('model-panel');
        await page.waitForFunction(
          () => {
            const p = document.querySelector('[data-testid="model-panel"]');
            return p?.getAttribute('data-status') !== 'loading' && (p?.querySelector('[data-testid="model-problem"]') || p?.textContent?.includes('Built-in demo model'));
          },
          undefined,
          { timeout: 120_000 },
        );
        const problem = page.getByTestId('model-problem');
        // The demo model is committed in public/demo/model/ and copied into dist/ by the build.
        assert(demoModelBuilt, 'dist/demo/model/config.json is missing: the build did not copy public/demo/model/');
        assert(!(await problem.isVisible()), `the demo model did not load: ${await panel.innerText()}`);
        const maxLength = Math.min(128, Number(await page.getByTestId('model-summary').getAttribute('data-max-tokens')));
        assert(!(await page.getByTestId('model-tokenizer-problem').isVisible()), 'the tokenizer does not fit the model');
        await page.getByTestId('max-length').fill(String(maxLength));
        await page.getByTestId('tokenize-run').click();
        const check = page.getByTestId('tokenize-check');
        await waitForStatus(check, ['done', 'failed']);
        const result = page.getByTestId('tokenize-result');
        assert(await result.isVisible(), `the tokenize check failed: ${await check.innerText()}`);
        const max = Number(await result.getAttribute('data-max'));
        const padded = Number(await result.getAttribute('data-padded'));
        console.log(`    up to ${max} tokens a text; ${await result.getAttribute('data-truncated')} of 32 cut at ${maxLength}; padded batch width ${padded}`);
        assert(max > 2 && padded > 2 && padded <= maxLength, `odd token counts: max ${max}, padded ${padded}`);
        await shot(page, 'setup-tokenize.png', 'tokenize-check');
        assertClean(getWatch());
      },
    },
    {
      name: 'the adapter export downloads a zip with adapter_config.json and adapter_model.safetensors',
      run: async () => {
        const page = getPage();
        const [download] = await Promise.all([page.waitForEvent('download', { timeout: 60_000 }), page.getByTestId('export-adapter').click()]);
        const saved = join(root, 'test-results', download.suggestedFilename());
        await download.saveAs(saved);
        const files = unzipSync(new Uint8Array(readFileSync(saved)));
        const names = Object.keys(files);
        console.log(`    ${download.suggestedFilename()}: ${names.join(', ')}`);
        const configName = names.find((n) => n.endsWith('/adapter_config.json'));
        assert(configName, `no adapter_config.json in ${names.join(', ')}`);
        assert(names.some((n) => n.endsWith('/adapter_model.safetensors')), 'no adapter_model.safetensors');
        const config = JSON.parse(new TextDecoder().decode(files[configName])) as Record<string, unknown>;
        assert(config.peft_type === 'LORA' && config.r === 8 && config.lora_alpha === 16, `unexpected adapter_config.json: ${JSON.stringify(config)}`);
        assert(JSON.stringify(config.modules_to_save) === '["classifier"]', 'the classifier is not in modules_to_save');
        assertClean(getWatch());
      },
    },
    {
      name: 'the runs list reads IndexedDB and is empty before any training',
      run: async () => {
        const page = getPage();
        const runs = page.getByTestId('runs');
        const status = await waitForStatus(runs, ['done', 'failed']);
        assert(status === 'done', `the runs list failed: ${await runs.innerText()}`);
        assert(await page.getByTestId('runs-empty').isVisible(), 'the empty runs list is not explained');
        assertClean(getWatch());
      },
    },
    {
      name: 'a Hub id is checked before any download, and only Load contacts huggingface.co',
      run: async () => {
        const page = getPage();
        const watch = getWatch();
        await page.getByTestId('hub-id').fill('not a model id!');
        await page.getByTestId('hub-load').click();
        const problem = page.getByTestId('model-problem');
        await problem.waitFor();
        assert(/is not a Hugging Face model id/.test(await problem.innerText()), `unclear message: ${await problem.innerText()}`);
        assertClean(watch); // nothing was requested for an invalid id

        // A valid id: this machine is offline (the test blocks every off-site request), so the download fails and says why.
        await page.getByTestId('hub-id').fill('FacebookAI/roberta-base');
        await page.getByTestId('hub-load').click();
        await page.waitForFunction(() => document.querySelector('[data-testid="model-problem"]')?.getAttribute('data-error') === 'HubDownloadError', undefined, {
          timeout: 30_000,
        });
        const offsite = watch.offsiteRequests.splice(0);
        watch.consoleErrors.splice(0); // the blocked request's "net::ERR_BLOCKED_BY_CLIENT"
        console.log(`    offline: ${await messageOf(problem)}`);
        assert(offsite.length > 0 && offsite.every((url) => url.startsWith('https://huggingface.co/FacebookAI/roberta-base/resolve/main/')), `unexpected requests: ${offsite.join(', ')}`);
        assert((await page.getByTestId('model-summary').isVisible()), 'the loaded model is gone after a failed download');
        await shot(page, 'setup-hub-offline.png', 'model-panel');
        assertClean(watch);
      },
    },
  ];
}
