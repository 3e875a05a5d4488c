/**
 * Kernel benchmark shared by Node (bench/kernels.ts) and Chromium (bench/kernels.worker.ts, driven by
 * bench/kernels-browser.ts): takes a GpuContext, returns the figures. Each measurement is one
 * warm-up run (pipeline compile, first touch of the buffers) then the median of `runs` runs,
 * each ended by `ctx.sync()`, so the time is wall time of submitted GPU work.
 */
import type { GpuContext } from '../src/gpu/context';
import type { Tensor } from '../src/gpu/buffers';
import { matmul, type MatmulStrategy } from '../src/kernels/matmul';
import { matmulNaive } from '../src/kernels/matmul-naive';
import { attentionForward } from '../src/kernels/attention';
import { layerNormForward } from '../src/kernels/layernorm';
import { maxRelativeError, seededRandom } from '../src/kernels/reference/checks';

export interface BenchOptions {
  /** Shapes at ¼ of every roberta-base dimension (for CPU-only SwiftShader machines). */
  quick: boolean;
  /** Timed runs after the warm-up (default 5). */
  runs?: number;
  runtime: 'node' | 'chromium';
  log?: (line: string) => void;
}

export interface Measurement {
  kernel: string;
  shape: string;
  medianMs: number;
  minMs: number;
  runs: number;
  /** Floating-point operations per run (multiply-add = 2). */
  flop?: number;
  gflops?: number;
  /** Bytes read + written per run, for memory-bound kernels. */
  bytes?: number;
  gbPerS?: number;
}

export interface MatmulShape {
  M: number;
  K: number;
  N: number;
}

export interface BenchReport {
  runtime: 'node' | 'chromium';
  date: string;
  adapter: { vendor: string; architecture: string; description: string; features: string[] };
  quick: boolean;
  runs: number;
  /** The roberta-base step shapes (batch 8 × 128 tokens), or ¼ of every dimension when quick. */
  shapes: {
    matmul: string[];
    attention: string;
    layerNorm: string;
  };
  results: Measurement[];
  /** The matmul strategy this device uses by default (both are measured). */
  matmulStrategy: MatmulStrategy;
  /** Our matmul (default strategy) / naive GFLOP/s per matmul shape. */
  speedup: Record<string, number>;
  /** Max relative difference between the tiled and the naive outputs (a sanity check, ≈1e-6). */
  agreement: Record<string, number>;
}

/** roberta-base: hidden 768, FFN 3072, 12 heads of 64; a step of batch 8 × 128 tokens. */
const FULL = { tokens: 1024, hidden: 768, ffn: 3072, batch: 8, seq: 128, heads: 12, headDim: 64 };
/** ¼ of every dimension except the sequence and head size, which set attention's shape. */
const QUICK = { tokens: 256, hidden: 192, ffn: 768, batch: 2, seq: 128, heads: 3, headDim: 64 };

export function benchShapes(quick: boolean) {
  const d = quick ? QUICK : FULL;
  const matmuls: MatmulShape[] = [
    { M: d.tokens, K: d.hidden, N: d.hidden }, // Q/K/V/attention-output projections
    { M: d.tokens, K: d.hidden, N: d.ffn }, // intermediate.dense
    { M: d.tokens, K: d.ffn, N: d.hidden }, // output.dense
  ];
  return { dims: d, matmuls };
}

const shapeName = ({ M, K, N }: MatmulShape) => `${M}x${K}·${K}x${N}`;

export async function runKernelBench(ctx: GpuContext, options: BenchOptions): Promise<BenchReport> {
  const runs = options.runs ?? 5;
  const log = options.log ?? (() => {});
  const { dims, matmuls } = benchShapes(options.quick);
  const results: Measurement[] = [];
  const speedup: Record<string, number> = {};
  const agreement: Record<string, number> = {};
  const record = (m: Measurement) => {
    results.push(m);
    const rate = m.gflops !== undefined ? `${m.gflops.toFixed(2)} GFLOP/s` : m.gbPerS !== undefined ? `${m.gbPerS.toFixed(2)} GB/s` : '';
    log(`${m.kernel.padEnd(18)} ${m.shape.padEnd(28)} ${m.medianMs.toFixed(1).padStart(9)} ms  ${rate}`);
  };

  const defaultStrategy: MatmulStrategy = ctx.prefersRegisterBlocking ? 'registers' : 'shared';
  for (const shape of matmuls) {
    const { M, K, N } = shape;
    const flop = 2 * M * N * K;
    const a = ctx.fromArray(seededRandom(M * K, 1), [M, K]);
    const b = ctx.fromArray(seededRandom(K * N, 2), [K, N]);
    const tiledOut = ctx.empty([M, N]);
    const naiveOut = ctx.empty([M, N]);
    try {
      const naive = await time(ctx, runs, () => matmulNaive(ctx, { a, b, out: naiveOut, M, N, K }));
      record(withRate({ kernel: 'matmul-naive', shape: shapeName(shape), ...naive, flop }));
      for (const strategy of ['shared', 'registers'] as const) {
        const tiled = await time(ctx, runs, () => matmul(ctx, { a, b, out: tiledOut, M, N, K, strategy }));
        record(withRate({ kernel: `matmul-${strategy}`, shape: shapeName(shape), ...tiled, flop }));
        if (strategy !== defaultStrategy) continue;
        speedup[shapeName(shape)] = naive.medianMs / tiled.medianMs;
        const [x, y] = await ctx.readMany([tiledOut, naiveOut]);
        agreement[shapeName(shape)] = maxRelativeError(x, y);
      }
    } finally {
      disposeAll(a, b, tiledOut, naiveOut);
    }
  }

  const attentionShape = `B${dims.batch} T${dims.seq} H${dims.heads} D${dims.headDim}`;
  record(await benchAttention(ctx, runs, dims, attentionShape));
  const layerNormShape = `${dims.tokens}x${dims.hidden}`;
  record(await benchLayerNorm(ctx, runs, dims.tokens, dims.hidden, layerNormShape));

  const info = ctx.gpu.adapterInfo;
  return {
    runtime: options.runtime,
    date: new Date().toISOString(),
    adapter: { vendor: info.vendor, architecture: info.architecture, description: info.description, features: [...ctx.gpu.features] },
    quick: options.quick,
    runs,
    shapes: { matmul: matmuls.map(shapeName), attention: attentionShape, layerNorm: layerNormShape },
    results,
    matmulStrategy: defaultStrategy,
    speedup,
    agreement,
  };
}

/** Attention forward (scores, softmax, context; no dropout) on Q, K, V of [B*T, H*d], no padding. */
async function benchAttention(
  ctx: GpuContext,
  runs: number,
  d: { batch: number; seq: number; heads: number; headDim: number },
  shape: string,
): Promise<Measurement> {
  const { batch, seq: seqLen, heads, headDim } = d;
  const rows = batch * seqLen;
  const C = heads * headDim;
  const q = ctx.fromArray(seededRandom(rows * C, 3), [rows, C]);
  const k = ctx.fromArray(seededRandom(rows * C, 4), [rows, C]);
  const v = ctx.fromArray(seededRandom(rows * C, 5), [rows, C]);
  const attnMask = ctx.fromArray(new Float32Array(rows).fill(1), [rows]);
  const headMask = ctx.fromArray(new Float32Array(heads).fill(1), [heads]);
  const probs = ctx.empty([batch, heads, seqLen, seqLen]);
  const out = ctx.empty([rows, C]);
  try {
    const timing = await time(ctx, runs, () =>
      attentionForward(ctx, { q, k, v, attnMask, headMask, probs, out, batch, seqLen, heads, headDim }),
    );
    // Q·Kᵀ and P·V, 2·B·H·T·T·d each (the softmax is not counted).
    return withRate({ kernel: 'attention', shape, ...timing, flop: 4 * batch * heads * seqLen * seqLen * headDim });
  } finally {
    disposeAll(q, k, v, attnMask, headMask, probs, out);
  }
}

/** LayerNorm forward over [rows, cols]: a memory-bound kernel, so GB/s (x read twice is not counted). */
async function benchLayerNorm(ctx: GpuContext, runs: number, rows: number, cols: number, shape: string): Promise<Measurement> {
  const x = ctx.fromArray(seededRandom(rows * cols, 6), [rows, cols]);
  const gamma = ctx.fromArray(seededRandom(cols, 7), [cols]);
  const beta = ctx.fromArray(seededRandom(cols, 8), [cols]);
  const out = ctx.empty([rows, cols]);
  const mean = ctx.empty([rows]);
  const rstd = ctx.empty([rows]);
  try {
    const timing = await time(ctx, runs, () => layerNormForward(ctx, { x, gamma, beta, out, mean, rstd, rows, cols, eps: 1e-5 }));
    // x in, out out, gamma and beta, mean and rstd.
    return withRate({ kernel: 'layernorm', shape, ...timing, bytes: 4 * (2 * rows * cols + 2 * cols + 2 * rows) });
  } finally {
    disposeAll(x, gamma, beta, out, mean, rstd);
  }
}

/** One warm-up run, then `runs` timed runs; each run ends when the GPU has finished it. */
async function time(ctx: GpuContext, runs: number, run: () => void): Promise<{ medianMs: number; minMs: number; runs: number }> {
  run();
  await ctx.sync();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    run();
    await ctx.sync();
    times.push(performance.now() - start);
  }
  times.sort((x, y) => x - y);
  const mid = times.length >> 1;
  const medianMs = times.length % 2 ? times[mid] : (times[mid - 1] + times[mid]) / 2;
  return { medianMs, minMs: times[0], runs };
}

function withRate(m: Measurement): Measurement {
  const seconds = m.medianMs / 1000;
  if (m.flop !== undefined) m.gflops = m.flop / seconds / 1e9;
  if (m.bytes !== undefined) m.gbPerS = m.bytes / seconds / 1e9;
  return m;
}

function disposeAll(...tensors: Tensor[]): void {
  for (const t of tensors) t.dispose();
}
