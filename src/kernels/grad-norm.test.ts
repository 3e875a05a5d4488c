import { describe, expect, it } from 'vitest';
import { GUARD, squaredSum, stepGuard } from './grad-norm';
import { adamwStep } from './adamw';
import { clipCoefficientRef, stepGuardRef } from './reference/grad-norm';
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
        const out = ctx.zeros([GUARD.size]);
        const loss = ctx.fromArray(Float32Array.of(0.7), [1]);
        tensors.forEach((t, k) => squaredSum(ctx, { x: t, n: sizes[k], partials, index: k, strategy }));
        stepGuard(ctx, { partials, count: sizes.length, maxNorm, loss, step: 1, guard: out });
        const expected = clipCoefficientRef(grads, maxNorm);
        // A finite step: [coefficient, norm] and no skip, no bad step recorded.
        expectClose(await ctx.read(out), [expected.coefficient, expected.norm, 0, 0, 0, 0], 1e-5, 'coefficient, norm');
        expect(expected.coefficient < 1).toBe(maxNorm === 0.5); // both branches of the min are exercised
        for (const t of [...tensors, partials, out, loss]) t.dispose();
      });
    }
  }

  it('the guard records the first non-finite step and stays set; without maxNorm the scale is 1', async () => {
    const ctx = await gpuContext();
    const good = [randomArray(50, 3, 0.1)];
    const nan = [Float32Array.of(1, NaN)];
    const huge = [Float32Array.of(3e38, 3e38)]; // finite gradients whose squared norm overflows
    const steps: { grads: Float32Array[]; loss: number; maxNorm: number }[] = [
      { grads: good, loss: 0.5, maxNorm: 0 },
      { grads: good, loss: Infinity, maxNorm: 0 }, // step 2: the loss diverged
      { grads: good, loss: 0.4, maxNorm: 1 }, // finite again, still skipped
      { grads: nan, loss: 0.3, maxNorm: 1 }, // not the first bad step: step 2 stays recorded
    ];
    const guard = ctx.zeros([GUARD.size]);
    let expected: number[] = new Array(GUARD.size).fill(0);
    for (const [k, s] of steps.entries()) {
      const partials = ctx.zeros([1]);
      const x = ctx.fromArray(s.grads[0], [s.grads[0].length]);
      const loss = ctx.fromArray(Float32Array.of(s.loss), [1]);
      squaredSum(ctx, { x, n: x.size, partials, index: 0 });
      stepGuard(ctx, { partials, count: 1, maxNorm: s.maxNorm, loss, step: k + 1, guard });
      expected = stepGuardRef(s.grads, s.loss, s.maxNorm, k + 1, expected);
      const got = Array.from(await ctx.read(guard));
      expect(got.map((v) => (Number.isFinite(v) ? Number(v.toPrecision(5)) : v))).toEqual(expected.map((v) => (Number.isFinite(v) ? Number(Math.fround(v).toPrecision(5)) : v)));
      for (const t of [partials, x, loss]) t.dispose();
    }
    expect(expected[GUARD.firstBadStep]).toBe(2);
    expect(expected[GUARD.badLoss]).toBe(Infinity);
    expect(expected[GUARD.skip]).toBe(1);
    // A fresh guard: an overflowing norm is caught too.
    ctx.zero(guard);
    const partials = ctx.zeros([1]);
    const x = ctx.fromArray(huge[0], [2]);
    const loss = ctx.fromArray(Float32Array.of(1), [1]);
    squaredSum(ctx, { x, n: 2, partials, index: 0 });
    stepGuard(ctx, { partials, count: 1, maxNorm: 0, loss, step: 7, guard });
    const overflow = await ctx.read(guard);
    expect(overflow[GUARD.firstBadStep]).toBe(7);
    expect(overflow[GUARD.badNorm]).toBe(Infinity);
    for (const t of [guard, partials, x, loss]) t.dispose();
  });

  it('AdamW leaves parameter and moments untouched while the guard says skip', async () => {
    const ctx = await gpuContext();
    const n = 300;
    const [param, grad, m, v] = [randomArray(n, 4), randomArray(n, 5), randomArray(n, 6, 0.1), randomArray(n, 7, 0.1).map(Math.abs)];
    const t = [param, grad, m, v].map((a) => ctx.fromArray(a, [n]));
    const guard = ctx.fromArray(Float32Array.of(0, NaN, 1, 3, NaN, NaN), [GUARD.size]);
    adamwStep(ctx, { lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1, step: 4, param: t[0], grad: t[1], m: t[2], v: t[3], n, guard });
    expectClose(await ctx.read(t[0]), param, 0, 'param');
    expectClose(await ctx.read(t[2]), m, 0, 'm');
    expectClose(await ctx.read(t[3]), v, 0, 'v');
    for (const x of [...t, guard]) x.dispose();
  });

  it('AdamW with a guard equals AdamW on the scaled gradient', async () => {
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
    const tScale = ctx.fromArray(new Float32Array([scale, 99, 0, 0, 0, 0]), [GUARD.size]);
    adamwStep(ctx, { ...hyper, param: tParam, grad: tGrad, m: tM, v: tV, n, guard: tScale });
    const m = new Float32Array(n);
    const v = new Float32Array(n);
    adamwStepRef({ ...hyper, param, grad: grad.map((g) => g * scale), m, v });
    expectClose(await ctx.read(tM), m, 1e-5, 'm');
    expectClose(await ctx.read(tParam), param, 1e-5, 'param');
    expectClose(await ctx.read(tGrad), grad, 0, 'grad untouched');
    for (const t of [tParam, tGrad, tM, tV, tScale]) t.dispose();
  });
});
