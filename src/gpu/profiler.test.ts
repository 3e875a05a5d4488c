import { describe, expect, it } from 'vitest';
import { gpuContext, randomArray } from '../../test/helpers';
import { KernelProfiler, kernelName, summarizeKernels } from './profiler';
import { matmul } from '../kernels/matmul';
import { add } from '../kernels/elementwise';

describe('the kernel profiler', () => {
  it('names kernels by their pipeline key', () => {
    expect(kernelName('matmul(tile=64,vec4=true)')).toBe('matmul');
    expect(kernelName('plain')).toBe('plain');
    expect(summarizeKernels([
      { key: 'a(x=1)', name: 'a', ns: 1e6 },
      { key: 'b()', name: 'b', ns: 4e6 },
      { key: 'a(x=2)', name: 'a', ns: 2e6 },
    ])).toEqual([
      { name: 'b', ms: 4, dispatches: 1, share: 4 / 7 },
      { name: 'a', ms: 3, dispatches: 2, share: 3 / 7 },
    ]);
  });

  it('times each dispatch on the GPU, in order, and leaves results unchanged', async () => {
    const ctx = await gpuContext();
    if (!ctx.device.features.has('timestamp-query')) return; // (the adapters CI and this project use have it)
    const n = 128;
    const a = ctx.fromArray(randomArray(n * n, 1), [n, n]);
    const b = ctx.fromArray(randomArray(n * n, 2), [n, n]);
    const plain = ctx.empty([n, n]);
    const profiled = ctx.empty([n, n]);
    const sum = ctx.empty([n, n]);
    matmul(ctx, { a, b, out: plain, M: n, N: n, K: n });
    const profiler = new KernelProfiler(ctx.device);
    ctx.profiler = profiler;
    try {
      matmul(ctx, { a, b, out: profiled, M: n, N: n, K: n });
      add(ctx, { a: profiled, b: a, out: sum, n: n * n });
      await ctx.sync();
      const times = await profiler.collect();
      expect(times.map((t) => t.name)).toEqual([expect.stringMatching(/^matmul/), 'elementwise']);
      expect(times[0].key).toMatch(/^matmul[.\w]*\(/);
      for (const t of times) expect(t.ns).toBeGreaterThanOrEqual(0);
      expect(times[0].ns).toBeGreaterThan(0); // 4 MFLOP take measurable time, even on a fast GPU
      expect(await profiler.collect()).toEqual([]); // each collect reads what came since the last
    } finally {
      ctx.profiler = null;
      profiler.dispose();
    }
    expect(Array.from(await ctx.read(profiled))).toEqual(Array.from(await ctx.read(plain)));
  });
});
