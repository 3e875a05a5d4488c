/**
 * The worker of the inference comparison page (bench/infer-transformersjs.html): loads one model
 * folder into our engine and, from its ONNX export (tools/bench/export_onnx.py), into
 * transformers.js on its `webgpu` and `wasm` devices; runs the same token batch through each
 * (one warm-up each, then rounds that rotate the order), checks the logits agree and posts the
 * medians. Every run goes from host token ids to host logits, uploads and read-back included.
 * Progress goes to console.log, which bench/infer-transformersjs.ts prints.
 */
import { AutoModelForSequenceClassification, env, Tensor as TjsTensor } from '@huggingface/transformers';
// ONNX Runtime's WebAssembly files, emitted into the build and served by our own server.
import ortWasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm?url';
import ortMjsUrl from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.mjs?url';
import { acquireGpu } from '../src/gpu/device';
import { GpuContext } from '../src/gpu/context';
import { toErrorData } from '../src/errors';
import { readModelDir } from '../src/engine/model/model-dir';
import { buildModel } from '../src/engine/model/build';
import { uploadBatch, type HostBatch } from '../src/engine/model/batch';
import { blobSource } from '../src/engine/io/byte-source';
import type { DirReader } from '../src/engine/io/dir-reader';
import { seededRandom } from '../src/engine/random';
import type { BenchReply } from './worker-panel';
import { median } from './interleave';

export interface InferBenchRequest {
  /** Folder of the model's files on this server, ending in "/": config.json + model.safetensors (ours). */
  modelUrl: string;
  /** The transformers.js folder under it (config.json + onnx/model.onnx), as export_onnx.py writes it. */
  exportName: string;
  batch: number;
  seqLen: number;
  runs: number;
  /** ONNX Runtime's wasm threads; its own choice when absent. More than 1 needs cross-origin isolation. */
  threads?: number;
}

export interface DeviceResult {
  ms: number;
  speedup: number;
  maxAbsDiff: number;
}

export interface InferBenchReport {
  adapter: { vendor: string; architecture: string; description: string };
  model: { layers: number; hidden: number; heads: number; intermediate: number; vocab: number };
  batch: number;
  seqLen: number;
  runs: number;
  oursMs: number;
  webgpu: DeviceResult;
  wasm: DeviceResult & { threads: number; crossOriginIsolated: boolean };
  speedup: number;
  /** Every timed run, in ms, for the record. */
  times: { ours: number[]; webgpu: number[]; wasm: number[] };
}

export type InferBenchReply = BenchReply<InferBenchReport>;

declare const self: DedicatedWorkerGlobalScope;

/** Logits may differ by float32 rounding in a different order of sums, never by more. */
const MAX_ABS_DIFF = 1e-3;

/** A model folder on this server, each file fetched once. */
function urlDir(baseUrl: string): DirReader {
  const blobs = new Map<string, Promise<Blob | null>>();
  const blobOf = (name: string) => {
    let blob = blobs.get(name);
    if (!blob) {
      blob = fetch(new URL(name, baseUrl)).then((r) => (r.ok ? r.blob() : null));
      blobs.set(name, blob);
    }
    return blob;
  };
  return {
    describe: (name) => new URL(name, baseUrl).pathname,
    read: async (name) => {
      const blob = await blobOf(name);
      return blob ? new Uint8Array(await blob.arrayBuffer()) : null;
    },
    open: async (name) => {
      const blob = await blobOf(name);
      return blob ? blobSource(blob, name) : null;
    },
  };
}

/** <s> random tokens </s>; the last row (of several) padded over its last quarter, to exercise the mask. */
function tokenBatch(batch: number, seqLen: number, vocab: number, padId: number): HostBatch {
  const random = seededRandom(11);
  const inputIds: number[][] = [];
  const attentionMask: number[][] = [];
  for (let b = 0; b < batch; b++) {
    const real = b === batch - 1 && batch > 1 ? seqLen - Math.floor(seqLen / 4) : seqLen;
    inputIds.push(Array.from({ length: seqLen }, (_, t) => (t === 0 ? 0 : t === real - 1 ? 2 : t >= real ? padId : 3 + Math.floor(random.uniform() * (vocab - 3)))));
    attentionMask.push(Array.from({ length: seqLen }, (_, t) => (t < real ? 1 : 0)));
  }
  return { inputIds, attentionMask };
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return Number.isNaN(max) ? Infinity : max;
}

async function timed(run: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await run();
  return performance.now() - start;
}

async function runBench(request: InferBenchRequest): Promise<InferBenchReport> {
  const { batch: B, seqLen: T, runs } = request;
  const gpu = await acquireGpu(navigator.gpu);
  const ctx = new GpuContext(gpu);
  console.log(`adapter: ${gpu.adapterInfo.vendor} ${gpu.adapterInfo.architecture} ${gpu.adapterInfo.description}`.trim());

  const { config, weights } = await readModelDir(urlDir(request.modelUrl));
  // No PEFT modules and no masks: the plain fine-tuned model, as transformers.js runs it.
  const model = await buildModel(ctx, { config, weights, peft: { kind: 'lora', rank: 1, alpha: 1, targets: [] }, trainMasks: false });
  const host = tokenBatch(B, T, config.vocabSize, config.padTokenId);
  const ours = async (): Promise<Float32Array> => {
    const batch = uploadBatch(ctx, host);
    const result = model.forward(batch, { forBackward: false });
    const logits = await ctx.read(result.logits);
    model.release(result);
    batch.dispose();
    return logits;
  };

  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = new URL('..', request.modelUrl).href;
  env.useBrowserCache = false;
  env.useWasmCache = false;
  const onnxEnv = env.backends.onnx as { wasm: { wasmPaths?: unknown; numThreads?: number } };
  if (request.threads) onnxEnv.wasm.numThreads = request.threads;
  onnxEnv.wasm.wasmPaths = { mjs: new URL(ortMjsUrl, self.location.href).href, wasm: new URL(ortWasmUrl, self.location.href).href };
  const modelId = `${new URL(request.modelUrl).pathname.split('/').filter(Boolean).pop()}/${request.exportName}`;
  console.log(`loading ${modelId} into transformers.js (webgpu, wasm), fp32`);
  const webgpuModel = await AutoModelForSequenceClassification.from_pretrained(modelId, { device: 'webgpu', dtype: 'fp32' });
  const wasmModel = await AutoModelForSequenceClassification.from_pretrained(modelId, { device: 'wasm', dtype: 'fp32' });
  const feeds = {
    input_ids: new TjsTensor('int64', BigInt64Array.from(host.inputIds.flat(), BigInt), [B, T]),
    attention_mask: new TjsTensor('int64', BigInt64Array.from(host.attentionMask.flat(), BigInt), [B, T]),
  };
  const theirs = (m: typeof webgpuModel) => async (): Promise<Float32Array> => {
    const output = (await m(feeds)) as { logits: TjsTensor };
    return Float32Array.from(output.logits.data as Float32Array);
  };
  const contenders = { ours, webgpu: theirs(webgpuModel), wasm: theirs(wasmModel) };
  const names = ['ours', 'webgpu', 'wasm'] as const;

  // Warm-up (pipelines, shaders, sessions' first run), and the check that all do the same work.
  const logits: Record<string, Float32Array> = {};
  for (const name of names) {
    const ms = await timed(async () => (logits[name] = await contenders[name]()));
    console.log(`warm-up ${name}: ${ms.toFixed(0)} ms, logits [${Array.from(logits[name].slice(0, 4), (v) => v.toFixed(4)).join(', ')}…]`);
  }
  const diff = { webgpu: maxAbsDiff(logits.ours, logits.webgpu), wasm: maxAbsDiff(logits.ours, logits.wasm) };
  console.log(`max |logit diff| vs ours: webgpu ${diff.webgpu.toExponential(2)}, wasm ${diff.wasm.toExponential(2)}`);
  for (const device of ['webgpu', 'wasm'] as const) {
    if (!(diff[device] <= MAX_ABS_DIFF)) throw new Error(`transformers.js (${device}) logits differ from ours by ${diff[device]}: not the same model or batch`);
  }

  const times = { ours: [] as number[], webgpu: [] as number[], wasm: [] as number[] };
  for (let r = 0; r < runs; r++) {
    // Rotate who goes first, so no contender always runs right after the same other one.
    const order = names.map((_, i) => names[(i + r) % names.length]);
    for (const name of order) times[name].push(await timed(contenders[name]));
    console.log(`run ${r + 1}/${runs}: ${names.map((n) => `${n} ${times[n][r].toFixed(0)} ms`).join(', ')}`);
  }
  const oursMs = median(times.ours);
  const device = (name: 'webgpu' | 'wasm'): DeviceResult => ({ ms: median(times[name]), speedup: median(times[name]) / oursMs, maxAbsDiff: diff[name] });
  const webgpu = device('webgpu');
  const report: InferBenchReport = {
    adapter: { vendor: gpu.adapterInfo.vendor, architecture: gpu.adapterInfo.architecture, description: gpu.adapterInfo.description },
    model: { layers: config.layers, hidden: config.hidden, heads: config.heads, intermediate: config.intermediate, vocab: config.vocabSize },
    batch: B,
    seqLen: T,
    runs,
    oursMs,
    webgpu,
    // ONNX Runtime sets numThreads when it initialises: 1 unless the page is cross-origin
    // isolated, else min(4, ceil(cores / 2)) (transformers.js leaves it to ONNX Runtime).
    wasm: { ...device('wasm'), threads: onnxEnv.wasm.numThreads ?? 1, crossOriginIsolated: self.crossOriginIsolated },
    speedup: webgpu.speedup,
    times,
  };
  await Promise.all([webgpuModel.dispose(), wasmModel.dispose()]);
  model.dispose();
  ctx.destroy();
  return report;
}

self.onmessage = async (event: MessageEvent<InferBenchRequest>) => {
  let reply: InferBenchReply;
  try {
    reply = { type: 'done', report: await runBench(event.data) };
  } catch (error) {
    reply = { type: 'failed', error: toErrorData(error) };
  }
  self.postMessage(reply);
};
