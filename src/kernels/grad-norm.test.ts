import { describe, expect, it } from 'vitest';
import { clipCoefficient, squaredSum } from './grad-norm';
import { adamwStep } from './adamw';
import { clipCoefficientRef } from './reference/grad-norm';
import { adamwStepRef } from './reference/adamw';
import { expectClose, gpuContext, randomArray } from '../../test/helpers';
import type { ReductionStrategy } from './wgsl';

describe('clipCoefficient CPU reference', () => {
  it('matches hand-computed values', () => {
    // ‖(3, 4, 12)‖ = 13: above 6.5 → 6.5 / (13 + 1e-6); below 20 → 1.
    const grads = [new Float32Array([3, 4]), new Float32Array([12])];
    expect(clipCoefficientRef(grads, 6.5).norm).toBe(13);
    expect(clipCoefficientRef(grads, 6.5).coefficient).toBeCloseTo(0.5, 7);
    expect(clipCoefficientRef(grads, 20).coefficient).toBe(1);
  });
});

describe('gradient clipping kernels vs CPU reference', () => {
  for (const strategy of ['workgroup', 'serial'] as ReductionStrategy[]) {
    for (const maxNorm of [0.5, 1e4]) {
      it(`${strategy}, maxNorm ${maxNorm}`, async () => {
        const ctx = await gpuContext();
        const sizes = [1, 7, 300, 5000];
        const grads = sizes.map((n, k) => randomArray(n, 40 + k, 0.05));
        const tensors = grads.map((g) => ctx.fromArray(g, [g.length]));
        const partials = ctx.fromArray(new Float32Array(sizes.length + 1).fill(123), [sizes.length + 1]); // stale values must be overwritten
        const out = ctx.zeros([2]);
        tensors.forEach((t, k) => squaredSum(ctx, { x: t, n: sizes[k], partials, index: k, strategy }));
        clipCoefficient(ctx, { partials, count: sizes.length, maxNorm, out });
        const expected = clipCoefficientRef(grads, maxNorm);
        expectClose(await ctx.read(out), [expected.coefficient, expected.norm], 1e-5, 'coefficient, norm');
        expect(expected.coefficient < 1).toBe(maxNorm === 0.5); // both branches of the min are exercised
        for (const t of [...tensors, partials, out]) t.dispose();
      });
    }
  }

  it('AdamW with gradScale equals AdamW on the scaled gradient', async () => {
    const ctx = await gpuContext();
    const n = 513;
    const param = randomArray(n, 1);
    const grad = randomArray(n, 2, 3);
    const scale = 0.37;
    const hyper = { lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, step: 1 };
    const tParam = ctx.fromArray(param, [n]);
    const tGrad = ctx.fromArray(grad, [n]);
    const tM = ctx.zeros([n]);
    const tV = ctx.zeros([n]);
    const tScale = ctx.fromArray(new Float32Array([scale, 99]), [2]);
    adamwStep(ctx, { ...hyper, param: tParam, grad: tGrad, m: tM, v: tV, n, gradScale: tScale });
    const m = new Float32Array(n);
    const v = new Float32Array(n);
    adamwStepRef({ ...hyper, param, grad: grad.map((g) => g * scale), m, v });
    expectClose(await ctx.read(tM), m, 1e-5, 'm');
    expectClose(await ctx.read(tParam), param, 1e-5, 'param');
    expectClose(await ctx.read(tGrad), grad, 0, 'grad untouched');
    for (const t of [tParam, tGrad, tM, tV, tScale]) t.dispose();
  });
});
