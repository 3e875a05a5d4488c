/**
 * The self-check the app runs on request: a real kernel on the real device, compared with its
 * CPU reference. Also the small numeric helpers the benchmark shares (no test framework here:
 * this runs in the browser worker).
 */
import type { GpuContext } from '../gpu/context';
import { matmul } from '../kernels/matmul';
import { matmulRef } from '../kernels/reference/matmul';
import type { SelfCheckResult } from './protocol';

/** Seeded uniform values in [-1, 1) (mulberry32), so a failing check reproduces. */
export function seededRandom(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}

/** Largest |actual − expected| relative to the largest |expected|; Infinity on NaN. */
export function maxRelativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) return Infinity;
  let maxDiff = 0;
  let maxRef = 0;
  for (let i = 0; i < expected.length; i++) {
    const diff = Math.abs(actual[i] - expected[i]);
    if (!Number.isFinite(diff)) return Infinity;
    maxDiff = Math.max(maxDiff, diff);
    maxRef = Math.max(maxRef, Math.abs(expected[i]));
  }
  return maxDiff / Math.max(maxRef, 1e-30);
}

export function globalScopeName(): string {
  return (globalThis as { constructor?: { name?: string } }).constructor?.name ?? 'unknown';
}

/** C = A·B + bias on a 70×50 · 50×33 problem (none of them a multiple of the 64-wide tile). */
export async function runSelfCheck(ctx: GpuContext): Promise<SelfCheckResult> {
  const M = 70;
  const K = 50;
  const N = 33;
  const a = seededRandom(M * K, Date.now());
  const b = seededRandom(K * N, Date.now() + 1);
  const bias = seededRandom(N, Date.now() + 2);

  const cpuStart = performance.now();
  const expected = new Float32Array(M * N);
  matmulRef({ a, b, bias, out: expected, M, N, K });
  const cpuMs = performance.now() - cpuStart;

  // Twice: the first run compiles the pipeline, the second shows the kernel's own speed.
  const tA = ctx.fromArray(a, [M, K]);
  const tB = ctx.fromArray(b, [K, N]);
  const tBias = ctx.fromArray(bias, [N]);
  const tOut = ctx.empty([M, N]);
  try {
    const runOnce = async () => {
      const start = performance.now();
      matmul(ctx, { a: tA, b: tB, bias: tBias, out: tOut, M, N, K });
      const values = await ctx.read(tOut);
      return { values, ms: performance.now() - start };
    };
    const first = await runOnce();
    const second = await runOnce();
    return {
      problem: `matmul ${M}×${K} · ${K}×${N} + bias`,
      maxRelativeError: Math.max(maxRelativeError(first.values, expected), maxRelativeError(second.values, expected)),
      firstRunMs: first.ms,
      gpuMs: second.ms,
      cpuMs,
      scope: globalScopeName(),
    };
  } finally {
    for (const t of [tA, tB, tBias, tOut]) t.dispose();
  }
}
