/**
 * The self-check the app runs on request: a real kernel on the real device, compared with its
 * CPU reference.
 */
import type { GpuContext } from '../gpu/context';
import { matmul } from '../kernels/matmul';
import { matmulRef } from '../kernels/reference/matmul';
import { maxRelativeError, seededRandom } from '../kernels/reference/checks';
import type { SelfCheckResult } from './protocol';

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
