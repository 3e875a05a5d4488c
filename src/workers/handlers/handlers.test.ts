/**
 * The worker's handlers in Node (GPU: Dawn on SwiftShader): load a model from picked files, keep
 * the previous model when a load fails, load data and choose columns, tokenize check, export, runs.
 */
import 'fake-indexeddb/auto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { unzipSync } from 'fflate';
import { gpuContext } from '../../../test/helpers';
import { IndexedDbCheckpointStore } from '../../platform/browser/indexeddb-checkpoints';
import { Session } from '../session';
import type { PickedFile } from '../protocol';
import { tinyModelFiles } from '../testing';
import { loadModel } from './load-model';
import { loadData } from './load-data';
import { chooseColumns } from './choose-columns';
import { tokenizeCheck } from './tokenize-check';
import { exportAdapter } from './export-adapter';
import { deleteRun, listRuns } from './runs';
import { TOKEN_HINT } from './model-reader';
import { parseHubRef } from './hub-ref';

const FIXTURES = join(__dirname, '..', '..', '..', 'test', 'fixtures');
const fixtureFile = (dir: string, name: string): PickedFile => ({ path: `${dir}/${name}`, file: new File([readFileSync(join(FIXTURES, dir, name))], name) });
const bytesFile = (path: string, bytes: Uint8Array | string): PickedFile => ({ path, file: new File([bytes as BlobPart], path.split('/').pop()!) });
const noProgress = () => {};

function newSession(storeName = 'worker-test'): Session {
  return new Session(gpuContext, () => IndexedDbCheckpointStore.open(storeName));
}

/** lora-awkward's config.json and weights, as a picked folder (no tokenizer). */
const awkwardFolder = () => [fixtureFile('lora-awkward', 'config.json'), fixtureFile('lora-awkward', 'model.safetensors')];

/** A tiny model that fits the tiny tokenizer, with its tokenizer files. */
function tinyFolder(): PickedFile[] {
  const { configJson, safetensors } = tinyModelFiles();
  return [
    bytesFile('tiny/config.json', configJson),
    bytesFile('tiny/model.safetensors', safetensors),
    fixtureFile('tokenizer-tiny', 'tokenizer.json'),
    fixtureFile('tokenizer-tiny', 'tokenizer_config.json'),
  ].map((p) => ({ ...p, path: `tiny/${p.file.name}` }));
}

const CSV = 'text,label\n' + Array.from({ length: 40 }, (_, i) => `"message number ${i} about ${i % 2 ? 'cheap pills' : 'the meeting'}",${i % 2 ? 'spam' : 'ham'}`).join('\n') + '\n';

describe('loadModel', () => {
  it('loads a picked folder and describes it; a model without a tokenizer still loads, with the reason', async () => {
    const session = newSession();
    const progress: string[] = [];
    const summary = await loadModel(session, { kind: 'files', files: awkwardFolder() }, (file, loaded, total) => progress.push(`${file} ${loaded}/${total}`));
    expect(summary).toMatchObject({ name: 'lora-awkward', modelType: 'roberta', layers: 3, hidden: 30, heads: 3, intermediate: 47, vocabSize: 97, maxTokens: 32 });
    expect(summary.id2label).toEqual(['LABEL_0', 'LABEL_1', 'LABEL_2']);
    expect(summary.tokenizer).toBeNull();
    expect(summary.tokenizerProblem).toMatch(/no tokenizer/);
    expect(summary.gpuBytes).toBeGreaterThan(0);
    expect(summary.parameters).toBeGreaterThan(summary.trainableParameters);
    expect(summary.files.map((f) => f.name)).toEqual(['lora-awkward/config.json', 'lora-awkward/model.safetensors']);
    expect(progress.at(-1)).toMatch(/^lora-awkward\/model\.safetensors (\d+)\/\1$/);
  });

  it('keeps the loaded model when the next load fails, and frees the old one when it succeeds', async () => {
    const session = newSession();
    await loadModel(session, { kind: 'files', files: awkwardFolder() }, noProgress);
    const first = session.model;
    const ctx = await gpuContext();
    const bytesWithOne = ctx.liveBytes;

    const config = { ...JSON.parse(readFileSync(join(FIXTURES, 'lora-awkward', 'config.json'), 'utf8')), model_type: 'bert' };
    const bad = [bytesFile('bad/config.json', JSON.stringify(config)), fixtureFile('lora-awkward', 'model.safetensors')];
    await expect(loadModel(session, { kind: 'files', files: bad }, noProgress)).rejects.toMatchObject({
      name: 'BadInputError',
      message: expect.stringContaining('unsupported model type "bert"'),
    });
    expect(session.model).toBe(first);

    const truncated = readFileSync(join(FIXTURES, 'lora-awkward', 'model.safetensors')).subarray(0, 5000);
    await expect(
      loadModel(session, { kind: 'files', files: [fixtureFile('lora-awkward', 'config.json'), bytesFile('lora-awkward/model.safetensors', truncated)] }, noProgress),
    ).rejects.toMatchObject({ name: 'BadInputError' });
    expect(session.model).toBe(first);

    // Found while uploading (after GPU memory was taken): intermediate.dense has 20 rows, config.json says 16.
    const mismatched = [bytesFile('m/config.json', tinyModelFiles().configJson), bytesFile('m/model.safetensors', tinyModelFiles({ intermediate: 20 }).safetensors)];
    await expect(loadModel(session, { kind: 'files', files: mismatched }, noProgress)).rejects.toMatchObject({
      name: 'BadInputError',
      message: expect.stringMatching(/m\/model\.safetensors \(tensor roberta\.encoder\.layer\.0\.intermediate\.dense\.weight\): has shape \[20,8\] but config\.json implies \[16,8\]/),
    });
    expect(session.model).toBe(first);
    expect(ctx.liveBytes).toBe(bytesWithOne);

    await loadModel(session, { kind: 'files', files: awkwardFolder() }, noProgress);
    expect(session.model).not.toBe(first);
    expect(ctx.liveBytes).toBe(bytesWithOne);
  });

  it('loads a sharded checkpoint (model.safetensors.index.json) and names a missing shard', async () => {
    const session = newSession();
    const tiny = tinyModelFiles();
    const folder = [bytesFile('sharded/config.json', tiny.configJson), ...tiny.sharded.map((f) => bytesFile(`sharded/${f.name}`, f.bytes))];
    const summary = await loadModel(session, { kind: 'files', files: folder }, noProgress);
    expect(summary).toMatchObject({ name: 'sharded', vocabSize: 400, layers: 1 });
    expect(summary.files.map((f) => f.name)).toEqual(expect.arrayContaining(tiny.sharded.map((f) => `sharded/${f.name}`)));
    await expect(loadModel(session, { kind: 'files', files: folder.slice(0, 3) }, noProgress)).rejects.toMatchObject({
      name: 'BadInputError',
      message: 'sharded/model-00002-of-00002.safetensors: is missing; model.safetensors.index.json lists it as a shard',
    });
  });

  it('fetches the demo model from the app’s own folder, with byte progress', async () => {
    const tiny = tinyModelFiles();
    const served: Record<string, Uint8Array> = {
      'config.json': tiny.configJson,
      'model.safetensors': tiny.safetensors,
      'tokenizer.json': readFileSync(join(FIXTURES, 'tokenizer-tiny', 'tokenizer.json')),
    };
    const session = newSession();
    const progress: string[] = [];
    const summary = await withServer('http://127.0.0.1/app/demo/model/', served, () =>
      loadModel(session, { kind: 'demo', url: 'http://127.0.0.1/app/demo/model/' }, (file, loaded, total) => progress.push(`${file} ${loaded}/${total}`)),
    );
    expect(summary).toMatchObject({ name: 'Built-in demo model', sourceKind: 'demo', vocabSize: 400, tokenizerProblem: null });
    expect(summary.files).toContainEqual({ name: 'demo/model/model.safetensors', bytes: tiny.safetensors.byteLength });
    expect(progress).toContain(`demo/model/model.safetensors ${tiny.safetensors.byteLength}/${tiny.safetensors.byteLength}`);
  });

  it('says the demo model is not built when its folder is not on the server', async () => {
    const session = newSession();
    const original = globalThis.fetch;
    globalThis.fetch = async () => new Response('not found', { status: 404 });
    try {
      await expect(loadModel(session, { kind: 'demo', url: 'http://127.0.0.1/demo/model/' }, noProgress)).rejects.toMatchObject({
        name: 'DemoNotBuiltError',
        message: expect.stringContaining('not built yet'),
      });
    } finally {
      globalThis.fetch = original;
    }
  });
});

describe('cancelling a model load', () => {
  it('stops a load mid-upload: the model loaded before stays, and no GPU memory is left behind', async () => {
    const session = newSession();
    await loadModel(session, { kind: 'files', files: awkwardFolder() }, noProgress);
    const first = session.model;
    const ctx = await gpuContext();
    const bytesWithOne = ctx.liveBytes;
    let reads = 0;
    let builtBefore = 0;
    // The tensors are read as they are uploaded: cancel a few reads in, once GPU memory is taken
    // (the first tensor read, the word table, stays in host memory).
    const cancelMidUpload = (file: string) => {
      if (file.endsWith('model.safetensors') && ++reads >= 4 && builtBefore === 0 && ctx.liveBytes > bytesWithOne) {
        builtBefore = ctx.liveBytes;
        expect(session.cancel(7)).toBe(true);
      }
    };
    const load = session.cancellable(7, (signal) => loadModel(session, { kind: 'files', files: tinyFolder() }, cancelMidUpload, signal));
    await expect(load).rejects.toMatchObject({ name: 'CancelledError', message: 'Cancelled; nothing was kept.' });
    expect(builtBefore).toBeGreaterThan(bytesWithOne);
    expect(session.model).toBe(first);
    expect(ctx.liveBytes).toBe(bytesWithOne);
    expect(session.cancel(7)).toBe(false); // finished: nothing to cancel
  });

  it('is cancelled before it starts when the cancel comes while it waits behind another model job', async () => {
    const session = newSession();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const blocker = session.withModel(() => gate);
    const load = session.cancellable(3, (signal) => session.withModel(() => loadModel(session, { kind: 'files', files: awkwardFolder() }, noProgress, signal)));
    expect(session.cancel(3)).toBe(true);
    release();
    await blocker;
    await expect(load).rejects.toMatchObject({ name: 'CancelledError' });
    expect(session.model).toBeNull();
  });
});

describe('models from the Hub (a stand-in huggingface.co)', () => {
  const tiny = tinyModelFiles();
  const repo: Record<string, Uint8Array> = {
    'config.json': tiny.configJson,
    'model.safetensors': tiny.safetensors,
    'tokenizer.json': readFileSync(join(FIXTURES, 'tokenizer-tiny', 'tokenizer.json')),
  };

  it('splits owner/name@revision', () => {
    expect(parseHubRef(' FacebookAI/roberta-base ')).toEqual({ modelId: 'FacebookAI/roberta-base', revision: undefined });
    expect(parseHubRef('FacebookAI/roberta-base@refs/pr/1')).toEqual({ modelId: 'FacebookAI/roberta-base', revision: 'refs/pr/1' });
    expect(parseHubRef('roberta-base@')).toEqual({ modelId: 'roberta-base', revision: '' });
  });

  it('downloads at the revision asked for, with the token as the Authorization header only, and keeps no token', async () => {
    const hub = fakeHub('owner/tiny', 'v1.0', repo);
    const session = newSession();
    const summary = await hub.serve(() => loadModel(session, { kind: 'hub', modelId: 'owner/tiny@v1.0', token: ' hf_test123 ' }, noProgress));
    expect(summary).toMatchObject({ name: 'owner/tiny@v1.0', sourceKind: 'hub', vocabSize: 400 });
    expect(hub.calls.map((c) => c.file)).toEqual(expect.arrayContaining(['config.json', 'model.safetensors', 'tokenizer.json']));
    expect(hub.calls.every((c) => c.auth === 'Bearer hf_test123')).toBe(true);
    expect(session.model).toMatchObject({ origin: { kind: 'hub', modelId: 'owner/tiny@v1.0' }, baseModelName: 'owner/tiny' });
    const { model: _gpu, weights: _weights, tokenizer: _tokenizer, ...kept } = session.model!;
    expect(JSON.stringify({ kept, summary })).not.toContain('hf_test123');
    // The exported adapter names the base model and its revision, as PEFT's adapter_config.json does.
    const files = unzipSync((await exportAdapter(session)).bytes);
    const config = JSON.parse(new TextDecoder().decode(Object.entries(files).find(([name]) => name.endsWith('adapter_config.json'))![1]));
    expect(config).toMatchObject({ base_model_name_or_path: 'owner/tiny', revision: 'v1.0' });
  });

  it('says where the token goes when the Hub refuses a download without one', async () => {
    const session = newSession();
    const refused = fakeHub('owner/gated', 'main', repo, { status: 401 });
    const error = await refused.serve(() => loadModel(session, { kind: 'hub', modelId: 'owner/gated' }, noProgress)).catch((e: Error) => e);
    expect(error).toMatchObject({ name: 'BadInputError', message: expect.stringContaining('gated or private (HTTP 401 for config.json)') });
    expect((error as Error).message.endsWith(TOKEN_HINT)).toBe(true);
    const withToken = await refused.serve(() => loadModel(session, { kind: 'hub', modelId: 'owner/gated', token: 'hf_bad' }, noProgress)).catch((e: Error) => e);
    expect((withToken as Error).message).toContain('your access token was refused');
    expect((withToken as Error).message).not.toContain(TOKEN_HINT);
    expect(session.model).toBeNull();
  });

  it('cancels mid-download: the fetch is aborted and the model loaded before stays', async () => {
    const session = newSession();
    await loadModel(session, { kind: 'files', files: awkwardFolder() }, noProgress);
    const first = session.model;
    const hub = fakeHub('owner/big', 'main', repo, { hold: 'model.safetensors' });
    const cancelMidFile = (file: string, loaded: number) => {
      if (file === 'model.safetensors' && loaded > 0) session.cancel(9);
    };
    const load = hub.serve(() => session.cancellable(9, (signal) => loadModel(session, { kind: 'hub', modelId: 'owner/big' }, cancelMidFile, signal)));
    await expect(load).rejects.toMatchObject({ name: 'CancelledError' });
    expect(hub.calls.find((c) => c.file === 'model.safetensors')?.signal?.aborted).toBe(true);
    expect(session.model).toBe(first);
  });
});

/**
 * A stand-in for huggingface.co serving `files` of `modelId` at `revision` through a replaced
 * global fetch. `status`: answer every request with it; `hold`: send half of that file, then wait
 * until the request is aborted.
 */
function fakeHub(modelId: string, revision: string, files: Record<string, Uint8Array>, options: { status?: number; hold?: string } = {}) {
  const base = `https://huggingface.co/${modelId}/resolve/${encodeURIComponent(revision)}/`;
  const calls: { file: string; auth: string | null; signal: AbortSignal | undefined }[] = [];
  const fetchHub = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const url = String(input);
    const signal = init?.signal ?? undefined;
    const file = url.startsWith(base) ? decodeURIComponent(url.slice(base.length)) : url;
    calls.push({ file, auth: new Headers(init?.headers).get('authorization'), signal });
    if (options.status) return new Response('refused', { status: options.status });
    const body = files[file];
    if (!body) return new Response('Entry not found', { status: 404, headers: { 'x-error-code': 'EntryNotFound' } });
    const headers = { 'content-type': 'application/octet-stream', 'content-length': String(body.byteLength) };
    if (file !== options.hold) return new Response(body as BlobPart, { headers });
    let sent = false;
    const stream = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (!sent) {
          sent = true;
          controller.enqueue(body.slice(0, body.byteLength >> 1));
          return;
        }
        await new Promise((resolve) => signal?.addEventListener('abort', resolve, { once: true }));
        controller.error(signal?.reason);
      },
    });
    return new Response(stream, { headers });
  };
  return {
    calls,
    async serve<T>(work: () => Promise<T>): Promise<T> {
      const original = globalThis.fetch;
      globalThis.fetch = fetchHub as typeof fetch;
      try {
        return await work();
      } finally {
        globalThis.fetch = original;
      }
    },
  };
}

/** Runs `work` with fetch answering files under `base` (404 for the rest, like the app's static server). */
async function withServer<T>(base: string, files: Record<string, Uint8Array | string>, work: () => Promise<T>): Promise<T> {
  const original = globalThis.fetch;
  globalThis.fetch = async (input) => {
    const url = String(input);
    const body = url.startsWith(base) ? files[url.slice(base.length)] : undefined;
    if (body === undefined) return new Response('not found', { status: 404 });
    const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
    return new Response(bytes as BlobPart, { headers: { 'content-type': 'application/octet-stream', 'content-length': String(bytes.byteLength) } });
  };
  try {
    return await work();
  } finally {
    globalThis.fetch = original;
  }
}

describe('loadData and chooseColumns', () => {
  it('streams the demo data files and takes the validation file as given', async () => {
    const session = newSession();
    const progress: string[] = [];
    const tables = await withServer('http://127.0.0.1/demo/data/', { 'train.csv': CSV, 'validation.csv': 'text,label\nhi,ham\nwin money,spam\n' }, () =>
      loadData(session, { kind: 'demo', url: 'http://127.0.0.1/demo/data/' }, (file, loaded, total) => progress.push(`${file} ${loaded}/${total}`)),
    );
    expect(tables.files.map((f) => [f.role, f.name, f.rows])).toEqual([
      ['train', 'demo/data/train.csv', 40],
      ['validation', 'demo/data/validation.csv', 2],
    ]);
    expect(progress).toContain(`demo/data/train.csv ${CSV.length}/${CSV.length}`);
    const examples = chooseColumns(session, { columns: tables.guess, validationFraction: 0.1, seed: 1 });
    expect(examples).toMatchObject({ trainCount: 40, validationCount: 2, validationFrom: 'file' });
    await expect(withServer('http://127.0.0.1/other/', {}, () => loadData(session, { kind: 'demo', url: 'http://127.0.0.1/demo/data/' }, noProgress))).rejects.toMatchObject({
      name: 'DemoNotBuiltError',
    });
  });

  it('parses a picked file, guesses columns, splits off validation with a seed', async () => {
    const session = newSession();
    const tables = await loadData(session, { kind: 'files', train: new File([CSV], 'mail.csv'), validation: null }, noProgress);
    expect(tables.files).toEqual([{ role: 'train', name: 'mail.csv', bytes: CSV.length, rows: 40, format: 'csv' }]);
    expect(tables.guess).toMatchObject({ text: 'text', textPair: null, label: 'label' });
    expect(tables.previewTrain.rows).toHaveLength(5);
    const settings = { columns: { text: 'text', textPair: null, label: 'label' }, validationFraction: 0.25, seed: 3 };
    const examples = chooseColumns(session, settings);
    expect(examples).toMatchObject({ id2label: ['ham', 'spam'], trainCount: 30, validationCount: 10, validationFrom: 'split' });
    expect(examples.validationBalance.classes.map((c) => c.count)).toEqual([5, 5]);
    expect(chooseColumns(session, settings)).toEqual(examples);
    expect(() => chooseColumns(session, { ...settings, validationFraction: 1 })).toThrow(expect.objectContaining({ name: 'SettingError' }));
  });

  it('takes the validation file with the training labels, and names its bad row', async () => {
    const session = newSession();
    const validation = new File(['text,label\nhello,ham\nbuy now,spma\n'], 'dev.csv');
    await loadData(session, { kind: 'files', train: new File([CSV], 'mail.csv'), validation }, noProgress);
    const settings = { columns: { text: 'text', label: 'label' }, validationFraction: 0.1, seed: 1 };
    expect(() => chooseColumns(session, settings)).toThrow(/dev\.csv \(line 3\): has the label "spma", which is not one of the model's labels/);
    expect(session.data?.examples).toBeNull();
  });

  it('refuses a file without a label column and keeps the data loaded before', async () => {
    const session = newSession();
    await loadData(session, { kind: 'files', train: new File([CSV], 'mail.csv'), validation: null }, noProgress);
    const before = session.data;
    await expect(loadData(session, { kind: 'files', train: new File(['text\nhello\n'], 'no-label.csv'), validation: null }, noProgress)).rejects.toMatchObject({
      name: 'BadInputError',
      message: expect.stringContaining('no-label.csv: has only one column ("text")'),
    });
    expect(session.data).toBe(before);
  });
});

describe('tokenizeCheck', () => {
  it('counts the tokens of the first batch with the model’s tokenizer', async () => {
    const session = newSession();
    const summary = await loadModel(session, { kind: 'files', files: tinyFolder() }, noProgress);
    expect(summary.tokenizer?.vocabSize).toBe(400);
    expect(summary.tokenizerProblem).toBeNull();
    await loadData(session, { kind: 'files', train: new File([CSV], 'mail.csv'), validation: null }, noProgress);
    chooseColumns(session, { columns: { text: 'text', label: 'label' }, validationFraction: 0.1, seed: 1 });
    const result = tokenizeCheck(session, 8);
    expect(result.rows).toBe(32);
    expect(result.paddedLength).toBe(8);
    expect(result.tokens.max).toBeGreaterThan(8);
    expect(result.truncated).toBeGreaterThan(0);
    expect(result.samples[0].pieces.join('')).toBe(session.data!.examples!.train[0].text.slice(0, result.samples[0].pieces.join('').length));
    expect(() => tokenizeCheck(session, 65)).toThrow(expect.objectContaining({ name: 'SettingError', message: expect.stringContaining('from 3 to 64') }));
  });

  it('reports a tokenizer larger than the model’s vocabulary, and a model without one', async () => {
    const session = newSession();
    const folder = [...awkwardFolder(), fixtureFile('tokenizer-tiny', 'tokenizer.json')].map((p) => ({ ...p, path: `m/${p.file.name}` }));
    const summary = await loadModel(session, { kind: 'files', files: folder }, noProgress);
    expect(summary.tokenizerProblem).toMatch(/has 400 tokens but m\/config\.json's vocab_size is 97/);
    await loadData(session, { kind: 'files', train: new File([CSV], 'mail.csv'), validation: null }, noProgress);
    chooseColumns(session, { columns: { text: 'text', label: 'label' }, validationFraction: 0.1, seed: 1 });
    expect(() => tokenizeCheck(session, 16)).toThrow(expect.objectContaining({ name: 'BadInputError' }));
    await loadModel(session, { kind: 'files', files: awkwardFolder() }, noProgress);
    expect(() => tokenizeCheck(session, 16)).toThrow(expect.objectContaining({ name: 'NotReadyError', message: expect.stringContaining('no tokenizer') }));
  });
});

describe('exportAdapter and runs', () => {
  it('zips the adapter in HF PEFT layout', async () => {
    const session = newSession();
    await expect(exportAdapter(session)).rejects.toMatchObject({ name: 'NotReadyError' });
    await loadModel(session, { kind: 'files', files: awkwardFolder() }, noProgress);
    const { fileName, bytes } = await exportAdapter(session);
    expect(fileName).toBe('lora-awkward-lora.zip');
    const files = unzipSync(bytes);
    expect(Object.keys(files).sort()).toEqual(['lora-awkward-lora/adapter_config.json', 'lora-awkward-lora/adapter_model.safetensors']);
    const config = JSON.parse(new TextDecoder().decode(files['lora-awkward-lora/adapter_config.json']));
    expect(config).toMatchObject({ peft_type: 'LORA', r: 8, lora_alpha: 16, modules_to_save: ['classifier'], base_model_name_or_path: 'lora-awkward', revision: null });
  });

  it('lists and deletes runs from IndexedDB', async () => {
    const store = await IndexedDbCheckpointStore.open('worker-runs');
    const run = { id: 'a', name: 'first', createdAt: 1, updatedAt: 2, step: 10, status: 'paused' as const, settings: {}, curves: {} };
    await store.save(run, new Map());
    const session = newSession('worker-runs');
    // A record this app cannot rebuild (no settings) is listed, but not resumable.
    expect(await listRuns(session)).toEqual([
      { id: 'a', name: 'first', createdAt: 1, updatedAt: 2, step: 10, totalSteps: null, status: 'paused', lastLoss: null, metrics: null, error: null, settings: null, resumable: false },
    ]);
    expect(await deleteRun(session, 'a')).toEqual([]);
  });
});
