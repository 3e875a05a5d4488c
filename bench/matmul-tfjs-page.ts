/**
 * Our matmul against tfjs-backend-webgpu's `tf.matMul`, in one page
 * (bench/matmul-tfjs.html?bench=quick|full&runs=N, part of the build; bench/matmul-tfjs.ts drives
 * it and writes the JSON). Shows the report as JSON in [data-testid=bench-json].
 *
 * Fairness:
 * - Both run on this page's main thread (tfjs-core's engine is a page-global singleton; ours is
 *   kept in the same JS context so neither pays a worker hop the other does not). Each has its
 *   own GPUDevice from `navigator.gpu`'s high-performance adapter: ours from acquireGpu (as the
 *   engine gets it), tfjs's from its own registered `webgpu` backend factory.
 * - Same shapes, same seeded random inputs uploaded to both before timing.
 * - Ours is called as the engine calls it: `matmul(ctx, {a, b, out, M, N, K, transB})` with the
 *   device's default strategy. Theirs is the public `tf.matMul(a, b, false, transB)`.
 * - A run is the call plus waiting for the GPU to finish, with no read-back on either side: ours
 *   `ctx.sync()` (submit, then `queue.onSubmittedWorkDone()`); tfjs has batched the dispatch into
 *   its own open command encoder, so we end its pass, submit (the same three calls its own
 *   read-back path makes) and await `onSubmittedWorkDone()` on its device. So both figures are
 *   wall time of the GPU work plus each library's own per-call overhead (tfjs allocates its output
 *   and a uniform buffer per call: that is its real cost).
 * - One warm-up each (pipeline compile, first upload), whose outputs are compared (max relative
 *   difference; ours also with a float64 CPU product at 64 sampled entries) before anything is
 *   timed; then `runs` runs alternated, the order flipping each
 *   round (ours-theirs, theirs-ours, …); medians.
 */
import * as tf from '@tensorflow/tfjs-core';
import { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { acquireGpu } from '../src/gpu/device';
import { GpuContext } from '../src/gpu/context';
import { matmul, vec4Path } from '../src/kernels/matmul';
import { maxRelativeError, seededRandom } from '../src/kernels/reference/checks';
import { median } from './interleave';

export type Layout = 'NN' | 'NT';

export interface MatmulTfjsResult {
  /** `${M}x${K}·${K}x${N}`: op(B) is [K,N] in both layouts. */
  shape: string;
  /** NN: B stored [K,N]; NT: B stored [N,K] (C = A·Bᵀ, the linear layer's forward). */
  layout: Layout;
  M: number;
  K: number;
  N: number;
  oursMs: number;
  tfjsMs: number;
  oursGflops: number;
  tfjsGflops: number;
  /** tfjs time / ours. */
  speedup: number;
  /** Max |ours − tfjs| over max |tfjs|, on the warm-up outputs. */
  maxRelDiff: number;
  /** Which of our kernels ran (strategy, and the vec4 NT path where it applies). */
  oursKernel: string;
}

export interface MatmulTfjsReport {
  date: string;
  adapter: { vendor: string; architecture: string; description: string };
  userAgent: string;
  runs: number;
  quick: boolean;
  /** What a run includes, in words (recorded with the figures). */
  timing: string;
  tfjsVersion: string;
  results: MatmulTfjsResult[];
  speedup: { min: number; max: number };
}

/** Above this the two libraries did not compute the same product: fail rather than time it. */
const MAX_REL_DIFF = 1e-4;

/** roberta-base step shapes (batch 8 × 128 tokens: 1024 rows) and 512³; quick: ¼ of each dimension. */
export function matmulShapes(quick: boolean): { M: number; K: number; N: number }[] {
  const s = quick ? 4 : 1;
  return [
    { M: 1024 / s, K: 768 / s, N: 768 / s }, // attention projections
    { M: 1024 / s, K: 768 / s, N: 3072 / s }, // intermediate.dense
    { M: 1024 / s, K: 3072 / s, N: 768 / s }, // output.dense
    { M: 512 / s, K: 512 / s, N: 512 / s },
  ];
}

/** Ends tfjs's open compute pass, submits its command encoder and waits for its GPU queue. */
async function syncTfjs(backend: WebGPUBackend): Promise<void> {
  backend.ensureCommandEncoderReady();
  backend.endComputePassEncoder();
  backend.submitQueue();
  await backend.device.queue.onSubmittedWorkDone();
}

/**
 * Largest difference of `c` from a float64 CPU product at `samples` seeded entries, relative to the
 * largest of those reference entries: guards against both libraries being wrong alike.
 */
function spotCheck(c: Float32Array, a: Float32Array, b: Float32Array, M: number, K: number, N: number, transB: boolean, samples = 64): number {
  const picks = seededRandom(2 * samples, 3);
  let maxDiff = 0;
  let maxRef = 0;
  for (let s = 0; s < samples; s++) {
    const i = Math.min(M - 1, Math.floor(((picks[2 * s] + 1) / 2) * M));
    const j = Math.min(N - 1, Math.floor(((picks[2 * s + 1] + 1) / 2) * N));
    let ref = 0;
    for (let k = 0; k < K; k++) ref += a[i * K + k] * (transB ? b[j * K + k] : b[k * N + j]);
    maxDiff = Math.max(maxDiff, Math.abs(c[i * N + j] - ref));
    maxRef = Math.max(maxRef, Math.abs(ref));
  }
  return maxDiff / Math.max(maxRef, 1e-30);
}

async function runBench(quick: boolean, runs: number, log: (line: string) => void): Promise<MatmulTfjsReport> {
  const ctx = new GpuContext(await acquireGpu(navigator.gpu));
  if (!(await tf.setBackend('webgpu'))) throw new Error('tfjs could not start its webgpu backend');
  await tf.ready();
  const backend = tf.backend();
  if (!(backend instanceof WebGPUBackend)) throw new Error(`tfjs runs on ${tf.getBackend()}, not webgpu`);
  const strategy = ctx.prefersRegisterBlocking ? 'registers' : 'shared';
  const results: MatmulTfjsResult[] = [];
  try {
    for (const { M, K, N } of matmulShapes(quick)) {
      for (const layout of ['NN', 'NT'] as const) {
        const transB = layout === 'NT';
        const bShape: [number, number] = transB ? [N, K] : [K, N];
        const aData = seededRandom(M * K, 1);
        const bData = seededRandom(K * N, 2);
        const a = ctx.fromArray(aData, [M, K]);
        const b = ctx.fromArray(bData, bShape);
        const out = ctx.empty([M, N]);
        const ta = tf.tensor2d(aData, [M, K]);
        const tb = tf.tensor2d(bData, bShape);
        try {
          const ours = () => matmul(ctx, { a, b, out, M, N, K, transB });
          const path = strategy === 'registers' ? vec4Path({ M, N, K, transB }) : undefined;
          const oursKernel = path ? `registers.vec4${path}` : strategy;
          // Warm-ups (compile, first upload of tfjs's lazily uploaded inputs), then the check.
          ours();
          await ctx.sync();
          const warm = tf.matMul(ta, tb, false, transB);
          await syncTfjs(backend);
          const [oursOut, tfjsOut] = [await ctx.read(out), (await warm.data()) as Float32Array];
          warm.dispose();
          const maxRelDiff = maxRelativeError(oursOut, tfjsOut);
          const shape = `${M}x${K}·${K}x${N}`;
          if (!(maxRelDiff <= MAX_REL_DIFF)) throw new Error(`${shape} ${layout}: ours and tfjs differ (max relative ${maxRelDiff})`);
          const cpuDiff = spotCheck(oursOut, aData, bData, M, K, N, transB);
          if (!(cpuDiff <= MAX_REL_DIFF)) throw new Error(`${shape} ${layout}: ours differs from the CPU product (max relative ${cpuDiff})`);

          const oursTimes: number[] = [];
          const tfjsTimes: number[] = [];
          const timeOurs = async () => {
            const start = performance.now();
            ours();
            await ctx.sync();
            oursTimes.push(performance.now() - start);
          };
          const timeTfjs = async () => {
            const start = performance.now();
            const c = tf.matMul(ta, tb, false, transB);
            await syncTfjs(backend);
            tfjsTimes.push(performance.now() - start);
            c.dispose();
          };
          for (let i = 0; i < runs; i++) {
            if (i % 2 === 0) {
              await timeOurs();
              await timeTfjs();
            } else {
              await timeTfjs();
              await timeOurs();
            }
          }
          const oursMs = median(oursTimes);
          const tfjsMs = median(tfjsTimes);
          const flop = 2 * M * N * K;
          const result: MatmulTfjsResult = {
            shape,
            layout,
            M,
            K,
            N,
            oursMs,
            tfjsMs,
            oursGflops: flop / oursMs / 1e6,
            tfjsGflops: flop / tfjsMs / 1e6,
            speedup: tfjsMs / oursMs,
            maxRelDiff,
            oursKernel,
          };
          results.push(result);
          log(
            `${shape.padEnd(20)} ${layout}  ours ${oursMs.toFixed(1).padStart(8)} ms ${result.oursGflops.toFixed(2).padStart(6)} GFLOP/s` +
              `  tfjs ${tfjsMs.toFixed(1).padStart(8)} ms ${result.tfjsGflops.toFixed(2).padStart(6)} GFLOP/s` +
              `  speedup ${result.speedup.toFixed(2)}×  maxRelDiff ${maxRelDiff.toExponential(1)}  (ours: ${oursKernel})`,
          );
        } finally {
          a.dispose();
          b.dispose();
          out.dispose();
          ta.dispose();
          tb.dispose();
        }
      }
    }
  } finally {
    ctx.destroy();
  }
  const info = ctx.gpu.adapterInfo;
  const speedups = results.map((r) => r.speedup);
  return {
    date: new Date().toISOString(),
    adapter: { vendor: info.vendor, architecture: info.architecture, description: info.description },
    userAgent: navigator.userAgent,
    runs,
    quick,
    timing:
      'median wall time of one call plus waiting for the GPU (ours: ctx.sync(); tfjs: end pass, submit, queue.onSubmittedWorkDone()), no read-back on either side',
    tfjsVersion: tf.version_core,
    results,
    speedup: { min: Math.min(...speedups), max: Math.max(...speedups) },
  };
}

/** Marks the page's progress lines among its console messages (bench/matmul-tfjs.ts looks for it). */
const LOG_PREFIX = '[matmul-tfjs] ';

const params = new URLSearchParams(location.search);
const quick = params.get('bench') !== 'full';
const runs = Number(params.get('runs')) || 5;

const panel = document.querySelector<HTMLElement>('[data-testid="bench-panel"]')!;
const status = panel.querySelector<HTMLElement>('.status')!;
const logBox = panel.querySelector<HTMLElement>('.log')!;
panel.dataset.status = 'running';
status.textContent = `Measuring ${quick ? 'quick' : 'roberta-base'} shapes, median of ${runs}… (minutes on a CPU-only adapter)`;

runBench(quick, runs, (line) => {
  logBox.textContent += line + '\n';
  // bench/matmul-tfjs.ts forwards these to its stderr as they come.
  console.info(`${LOG_PREFIX}${line}`);
}).then(
  (report) => {
    const json = document.createElement('pre');
    json.dataset.testid = 'bench-json';
    json.textContent = JSON.stringify(report, null, 2);
    status.replaceWith(json);
    panel.dataset.status = 'done';
  },
  (error: unknown) => {
    status.textContent = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    panel.dataset.status = 'failed';
  },
);
