import { describe, expect, it } from 'vitest';
import { crossEntropy } from './cross-entropy';
import type { ReductionStrategy } from './wgsl';
import { crossEntropyRef } from './reference/cross-entropy';
import { expectClose, gpuContext, randomArray, rng } from '../../test/helpers';

interface Case {
  batch: number;
  classes: number;
  /** Logit magnitude; 100 overflows exp() without the row-max shift. */
  scale?: number;
}

const cases: Case[] = [
  { batch: 3, classes: 2 },
  { batch: 5, classes: 7 },
  { batch: 1, classes: 1 },
  { batch: 300, classes: 3 }, // more rows than threads
  { batch: 4, classes: 5, scale: 100 },
];

describe.each<ReductionStrategy>(['workgroup', 'serial'])('crossEntropy kernel (%s) vs CPU reference', (strategy) => {
  for (const [k, c] of cases.entries()) {
    const name = JSON.stringify(c);
    it(name, async () => {
      const ctx = await gpuContext();
      const { batch, classes } = c;
      const logits = randomArray(batch * classes, 70 + k, c.scale ?? 3);
      const r = rng(71 + k);
      const labels = Int32Array.from({ length: batch }, () => Math.floor(r() * classes));
      const loss = new Float32Array(1);
      const dLogits = new Float32Array(batch * classes);
      crossEntropyRef({ logits, labels, loss, dLogits, batch, classes });

      const t = {
        logits: ctx.fromArray(logits, [batch, classes]),
        labels: ctx.fromArray(labels, [batch]),
        loss: ctx.fromArray(new Float32Array([1234]), [1]), // written, not accumulated
        dLogits: ctx.fromArray(randomArray(batch * classes, 72 + k), [batch, classes]),
      };
      crossEntropy(ctx, { ...t, batch, classes, strategy });
      const [gLoss, gDLogits] = await ctx.readMany([t.loss, t.dLogits]);
      expect(Number.isFinite(loss[0])).toBe(true);
      if (classes === 1) expect(gLoss[0]).toBe(0);
      else expectClose(gLoss, loss, 1e-5, 'loss');
      expectClose(gDLogits, dLogits, 1e-5, 'dLogits');
      for (const tensor of Object.values(t)) tensor.dispose();
    });
  }
});
