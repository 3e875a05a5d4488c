import { describe, expect, it } from 'vitest';
import { adamwStep, type AdamWHyper } from './adamw';
import { adamwStepRef } from './reference/adamw';
import { expectClose, gpuContext, randomArray } from '../../test/helpers';

describe('adamw CPU reference', () => {
  it('matches a hand-computed first step of one scalar', () => {
    // p = 1 - 0.1·0.01·1 = 0.999; m = 0.05; v = 0.00025; step size = 0.1 / 0.1 = 1;
    // denom = sqrt(0.00025) / sqrt(0.001) + 1e-8 = 0.5 + 1e-8; p = 0.999 - 0.05 / (0.5 + 1e-8) = 0.899000002
    const param = new Float32Array([1]);
    const m = new Float32Array([0]);
    const v = new Float32Array([0]);
    adamwStepRef({ param, grad: new Float32Array([0.5]), m, v, lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, step: 1 });
    expect(param[0]).toBeCloseTo(0.899000002, 7);
    expect(m[0]).toBeCloseTo(0.05, 8);
    expect(v[0]).toBeCloseTo(0.00025, 10);
  });

  it('matches a hand-computed third step with non-zero state', () => {
    // p = 0.5·(1 - 0.01·0.1) = 0.4995; m = 0.9·0.02 + 0.1·(-0.3) = -0.012; v = 0.99·0.0004 + 0.01·0.09 = 0.001296;
    // p = 0.4995 - (0.01 / (1 - 0.9³)) · m / (sqrt(v) / sqrt(1 - 0.99³) + 1e-6) = 0.50161979035
    const param = new Float32Array([0.5]);
    const m = new Float32Array([0.02]);
    const v = new Float32Array([0.0004]);
    adamwStepRef({ param, grad: new Float32Array([-0.3]), m, v, lr: 0.01, beta1: 0.9, beta2: 0.99, eps: 1e-6, weightDecay: 0.1, step: 3 });
    expect(param[0]).toBeCloseTo(0.50161979035, 7);
    expect(m[0]).toBeCloseTo(-0.012, 8);
    expect(v[0]).toBeCloseTo(0.001296, 9);
  });

  it('rejects step 0', () => {
    const one = () => new Float32Array([1]);
    expect(() =>
      adamwStepRef({ param: one(), grad: one(), m: one(), v: one(), lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, step: 0 }),
    ).toThrow(/step/);
  });
});

describe('adamw kernel vs CPU reference over 5 steps', () => {
  const cases = [
    { n: 1, weightDecay: 0 },
    { n: 37, weightDecay: 0.01 },
    { n: 1000, weightDecay: 0 },
    { n: 1000, weightDecay: 0.1 },
  ];
  for (const [c, { n, weightDecay }] of cases.entries()) {
    const name = `n=${n} weightDecay=${weightDecay}`;
    it(name, async () => {
      const ctx = await gpuContext();
      const param = randomArray(n, 100 + c);
      const m = new Float32Array(n);
      const v = new Float32Array(n);
      const tParam = ctx.fromArray(param, [n]);
      const tM = ctx.zeros([n]);
      const tV = ctx.zeros([n]);
      for (let step = 1; step <= 5; step++) {
        // Grads of varying scale and sign, a few exact zeros.
        const grad = randomArray(n, 1000 * c + step, 10 ** (step - 3));
        if (n > 3) grad[3] = 0;
        const hyper: AdamWHyper = { lr: 0.01 * step, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay, step };
        adamwStepRef({ ...hyper, param, grad, m, v });
        const tGrad = ctx.fromArray(grad, [n]);
        adamwStep(ctx, { ...hyper, param: tParam, grad: tGrad, m: tM, v: tV, n });
        expectClose(await ctx.read(tParam), param, 1e-5, `${name} step ${step} param`);
        expectClose(await ctx.read(tM), m, 1e-5, `${name} step ${step} m`);
        expectClose(await ctx.read(tV), v, 1e-5, `${name} step ${step} v`);
        tGrad.dispose();
      }
      for (const t of [tParam, tM, tV]) t.dispose();
    });
  }
});
