import { describe, expect, it } from 'vitest';
import { EngineClient, EngineRequestError, type WorkerLike } from './client';
import { errorReply, type Request, type WorkerMessage } from './protocol';
import { BadInputError, EngineError, WebGPUUnavailableError, errorNameOf } from '../errors';

/** A worker that answers with whatever the test tells it to. */
class FakeWorker implements WorkerLike {
  sent: Request[] = [];
  private onMessage: ((event: MessageEvent<WorkerMessage>) => void) | null = null;
  private onError: ((event: ErrorEvent) => void) | null = null;
  postMessage(message: Request) {
    this.sent.push(message);
  }
  addEventListener(type: 'message' | 'error', listener: never) {
    if (type === 'message') this.onMessage = listener;
    else this.onError = listener;
  }
  terminate() {}
  reply(message: WorkerMessage) {
    this.onMessage?.({ data: message } as MessageEvent<WorkerMessage>);
  }
  crash(message: string) {
    this.onError?.({ message } as ErrorEvent);
  }
}

const gpu = {
  vendor: 'v',
  architecture: 'a',
  device: '',
  description: '',
  features: [],
  maxStorageBufferBindingSizeMiB: 1024,
  maxBufferSizeMiB: 1024,
  scope: 'DedicatedWorkerGlobalScope',
};

describe('EngineClient', () => {
  it('matches replies to requests by id, in any order', async () => {
    const worker = new FakeWorker();
    const client = new EngineClient(worker);
    const init = client.init();
    const tokens = client.tokenizeCheck(3);
    expect(worker.sent).toEqual([
      { type: 'init', id: 1 },
      { type: 'tokenizeCheck', id: 2, maxLength: 3 },
    ]);
    const result = { maxLength: 3 } as never;
    worker.reply({ type: 'tokenizeCheck', id: 2, result });
    worker.reply({ type: 'init', id: 1, gpu });
    expect(await init).toEqual(gpu);
    expect(await tokens).toBe(result);
  });

  it('rejects with the engine error class name and message', async () => {
    const worker = new FakeWorker();
    const client = new EngineClient(worker);
    const init = client.init();
    worker.reply(errorReply(1, new WebGPUUnavailableError('no adapter; open chrome://gpu')));
    const error = await init.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EngineRequestError);
    expect(error).toMatchObject({ name: 'WebGPUUnavailableError', message: 'no adapter; open chrome://gpu' });
    expect(error).toMatchObject({ code: 'WEBGPU_UNAVAILABLE' });
  });

  it('rebuilds an error by its code, not its class name (a minifier may rename classes), a bad input with its parts', async () => {
    // A class as a minifier leaves it: renamed, its static code intact.
    const renamed = { r: class extends EngineError { static override readonly code = 'SETTING' } }.r;
    expect(renamed.name).toBe('r');
    const worker = new FakeWorker();
    const client = new EngineClient(worker);
    const first = client.tokenizeCheck(64);
    const second = client.tokenizeCheck(64);
    worker.reply(errorReply(1, new renamed('Max length must be from 3 to 64.')));
    worker.reply(errorReply(2, new BadInputError('train.csv', 'line 3', 'the label is empty')));
    expect(await first.catch((e: unknown) => e)).toMatchObject({ code: 'SETTING', name: 'SettingError', message: 'Max length must be from 3 to 64.' });
    expect(await second.catch((e: unknown) => e)).toMatchObject({
      code: 'BAD_INPUT',
      name: 'BadInputError',
      message: 'train.csv (line 3): the label is empty',
      file: 'train.csv',
      where: 'line 3',
      why: 'the label is empty',
    });
  });

  it('passes a request its progress messages, then its reply', async () => {
    const worker = new FakeWorker();
    const client = new EngineClient(worker);
    const seen: string[] = [];
    const load = client.loadModel({ kind: 'hub', modelId: 'FacebookAI/roberta-base' }, (p) => seen.push(`${p.file} ${p.loaded}/${p.total}`));
    worker.reply({ type: 'progress', id: 1, file: 'config.json', loaded: 10, total: 20 });
    worker.reply({ type: 'progress', id: 1, file: 'config.json', loaded: 20, total: 20 });
    worker.reply({ type: 'progress', id: 99, file: 'other', loaded: 1, total: null });
    const model = { name: 'FacebookAI/roberta-base' } as never;
    worker.reply({ type: 'loadModel', id: 1, model });
    expect(await load).toBe(model);
    expect(seen).toEqual(['config.json 10/20', 'config.json 20/20']);
  });

  it('passes a train request its training progress, and stopTraining its own reply', async () => {
    const worker = new FakeWorker();
    const client = new EngineClient(worker);
    const steps: number[] = [];
    const options = { method: { kind: 'lora' as const, rank: 8, alpha: 16, targets: ['query' as const, 'value' as const] }, steps: 3, batchSize: 2, lr: 1e-3, maxLength: 16, seed: 1, dropout: true, checkpointEvery: 1, evalEvery: 0 };
    const run = client.train(options, (p) => steps.push(p.step));
    const stop = client.stopTraining();
    expect(worker.sent).toEqual([
      { type: 'train', id: 1, options },
      { type: 'stopTraining', id: 2 },
    ]);
    const progress = { runId: 'r', name: 'n', phase: 'training' as const, step: 1, totalSteps: 3, startStep: 0, newLogs: [], newEvaluations: [], stepsPerSecond: null, tokensPerSecond: null, gpuBytes: 0, peakGpuBytes: 0, checkpointStep: 0, stage: null, pruned: null, paused: false, rollbacks: [], recoveries: [] };
    worker.reply({ type: 'trainProgress', id: 1, progress });
    worker.reply({ type: 'stopTraining', id: 2, stopping: true });
    worker.reply({ type: 'trainProgress', id: 1, progress: { ...progress, step: 2 } });
    const result = { runId: 'r', status: 'paused' } as never;
    worker.reply({ type: 'train', id: 1, result });
    expect(await stop).toBe(true);
    expect(await run).toBe(result);
    expect(steps).toEqual([1, 2]);
  });

  it('cancels a model load through the worker: a cancel names the load, which then rejects with the worker’s CancelledError', async () => {
    const worker = new FakeWorker();
    const client = new EngineClient(worker);
    const abort = new AbortController();
    const load = client.loadModel({ kind: 'hub', modelId: 'FacebookAI/roberta-large', token: 'hf_secret' }, undefined, abort.signal);
    abort.abort();
    abort.abort(); // a second click sends nothing more
    expect(worker.sent).toEqual([
      { type: 'loadModel', id: 1, source: { kind: 'hub', modelId: 'FacebookAI/roberta-large', token: 'hf_secret' } },
      { type: 'cancel', id: 2, target: 1 },
    ]);
    // The load waits for the worker's own answer (it frees what it built first).
    let settled = false;
    void load.catch(() => {}).finally(() => (settled = true));
    worker.reply({ type: 'cancel', id: 2, cancelled: true });
    await Promise.resolve();
    expect(settled).toBe(false);
    worker.reply(errorReply(1, Object.assign(new Error('Cancelled; nothing was kept.'), { name: 'CancelledError' })));
    await expect(load).rejects.toMatchObject({ name: 'CancelledError' });
  });

  it('sends no cancel for a load that has finished, nor a request for a signal already aborted', async () => {
    const worker = new FakeWorker();
    const client = new EngineClient(worker);
    const abort = new AbortController();
    const load = client.loadModel({ kind: 'demo', url: 'http://x/demo/model/' }, undefined, abort.signal);
    const model = { name: 'demo' } as never;
    worker.reply({ type: 'loadModel', id: 1, model });
    expect(await load).toBe(model);
    abort.abort();
    await expect(client.loadModel({ kind: 'demo', url: 'http://x/demo/model/' }, undefined, abort.signal)).rejects.toMatchObject({ name: 'CancelledError' });
    expect(worker.sent.map((m) => m.type)).toEqual(['loadModel']);
  });

  it('passes unsolicited events to listeners', () => {
    const worker = new FakeWorker();
    const client = new EngineClient(worker);
    const seen: string[] = [];
    client.onEvent((event) => seen.push(errorNameOf(event)));
    worker.reply({ type: 'deviceLost', code: 'DEVICE_LOST', message: 'lost' });
    expect(seen).toEqual(['DeviceLostError']);
  });

  it('fails pending and later requests when the worker dies', async () => {
    const worker = new FakeWorker();
    const client = new EngineClient(worker);
    const check = client.selfCheck();
    worker.crash('SyntaxError in engine.worker.js');
    await expect(check).rejects.toMatchObject({ name: 'WorkerError' });
    await expect(client.init()).rejects.toMatchObject({ name: 'WorkerError' });
  });
});
