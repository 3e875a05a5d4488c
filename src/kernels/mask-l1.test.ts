import { describe, expect, it } from 'vitest';
import { maskL1 } from './mask-l1';
import { maskL1Ref } from './reference/mask-l1';
import { expectClose, gpuContext, randomArray } from '../../test/helpers';

describe('maskL1 CPU reference', () => {
  it('matches hand-computed values', () => {
    const grad = new Float32Array([1, 1, 1]);
    const loss = new Float32Array([2]);
    maskL1Ref({ mask: new Float32Array([-0.5, 0, 2]), grad, loss, lambda: 0.1 });
    expect(loss[0]).toBeCloseTo(2.25, 6);
    expect(Array.from(grad)).toEqual([1 - 0.1, 1, 1 + 0.1].map(Math.fround));
  });
});

describe('maskL1 kernel vs CPU reference', () => {
  for (const [c, n] of [1, 5, 300, 3000, 3072 * 24].entries()) {
    it(`n=${n}`, async () => {
      const ctx = await gpuContext();
      const mask = randomArray(n, 10 + c, 1.5);
      for (let i = 0; i < n; i += 7) mask[i] = 0; // exact zeros: sign 0, no gradient
      if (n > 1) mask[1] = -1; // masks start at 1.0: exact ±1 too
      const grad = randomArray(n, 20 + c);
      const loss = new Float32Array([0.75]);
      const lambda = 1e-2;
      const tMask = ctx.fromArray(mask, [n]);
      const tGrad = ctx.fromArray(grad, [n]);
      const tLoss = ctx.fromArray(loss, [1]);
      maskL1Ref({ mask, grad, loss, lambda });
      maskL1(ctx, { mask: tMask, grad: tGrad, loss: tLoss, n, lambda });
      expectClose(await ctx.read(tGrad), grad, 1e-6, `n=${n} grad`);
      expectClose(await ctx.read(tLoss), loss, 1e-5, `n=${n} loss`);
      for (const t of [tMask, tGrad, tLoss]) t.dispose();
    });
  }

  it('leaves elements past n alone', async () => {
    const ctx = await gpuContext();
    const tMask = ctx.fromArray(new Float32Array([1, -1, 1, 1]), [4]);
    const tGrad = ctx.zeros([4]);
    const tLoss = ctx.zeros([1]);
    maskL1(ctx, { mask: tMask, grad: tGrad, loss: tLoss, n: 2, lambda: 0.5 });
    expect(Array.from(await ctx.read(tGrad))).toEqual([0.5, -0.5, 0, 0]);
    expect(Array.from(await ctx.read(tLoss))).toEqual([1]);
    for (const t of [tMask, tGrad, tLoss]) t.dispose();
  });
});
