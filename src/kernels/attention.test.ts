import { describe, expect, it } from 'vitest';
import { attentionBackward, attentionForward, type AttentionDropout, type AttentionShape } from './attention';
import type { ReductionStrategy } from './wgsl';
import { attentionBackwardRef, attentionDropoutKeep, attentionForwardRef } from './reference/attention';
import { expectClose, gpuContext, maxRelativeError, randomArray } from '../../test/helpers';

interface Case extends AttentionShape {
  /** Real tokens per sequence (the rest is padding); all real when absent. */
  lengths?: number[];
  headMask?: number[];
  dropout?: AttentionDropout;
}

const cases: Case[] = [
  { batch: 2, seqLen: 5, heads: 3, headDim: 10, headMask: [1.1, 0.0, 0.7] },
  { batch: 3, seqLen: 9, heads: 4, headDim: 8, lengths: [9, 5, 1], headMask: [1, 0.5, -0.3, 1.2] },
  { batch: 1, seqLen: 33, heads: 2, headDim: 7 },
  { batch: 2, seqLen: 5, heads: 3, headDim: 10, headMask: [1.1, 0.0, 0.7], dropout: { p: 0.2, seed: 1234 } },
  { batch: 3, seqLen: 9, heads: 4, headDim: 8, lengths: [9, 5, 1], headMask: [1, 0.5, -0.3, 1.2], dropout: { p: 0.2, seed: 99 } },
  { batch: 1, seqLen: 33, heads: 2, headDim: 7, dropout: { p: 0.2, seed: 0xfffffff0 } },
  // The largest sizes the model uses: a row of 512 keys (4 per thread), headDim 128.
  { batch: 1, seqLen: 512, heads: 1, headDim: 128, lengths: [500], headMask: [0.9], dropout: { p: 0.1, seed: 5 } },
];

function attnMaskFor(c: Case): Float32Array {
  const mask = new Float32Array(c.batch * c.seqLen);
  for (let b = 0; b < c.batch; b++) {
    const length = c.lengths?.[b] ?? c.seqLen;
    for (let j = 0; j < length; j++) mask[b * c.seqLen + j] = 1;
  }
  return mask;
}

function inputsFor(c: Case, seed: number) {
  const n = c.batch * c.seqLen * c.heads * c.headDim;
  return {
    q: randomArray(n, seed + 1, 1.5),
    k: randomArray(n, seed + 2, 1.5),
    v: randomArray(n, seed + 3),
    dOut: randomArray(n, seed + 4),
    attnMask: attnMaskFor(c),
    headMask: Float32Array.from(c.headMask ?? Array.from({ length: c.heads }, () => 1)),
    dHeadMaskInitial: randomArray(c.heads, seed + 5),
  };
}

describe.each<ReductionStrategy>(['workgroup', 'serial'])('attention kernels (%s) vs CPU reference', (strategy) => {
  for (const [n, c] of cases.entries()) {
    const name = JSON.stringify(c);
    it(name, async () => {
      const ctx = await gpuContext();
      const shape: AttentionShape = { batch: c.batch, seqLen: c.seqLen, heads: c.heads, headDim: c.headDim };
      const x = inputsFor(c, 100 * n);
      const n4 = x.q.length;

      const ref = attentionForwardRef({ ...shape, ...x, dropout: c.dropout });
      const refDHeadMask = Float64Array.from(x.dHeadMaskInitial);
      const refGrads = attentionBackwardRef({ ...shape, ...x, probs: ref.probs, dHeadMask: refDHeadMask, dropout: c.dropout });

      const t = {
        q: ctx.fromArray(x.q, [c.batch * c.seqLen, c.heads * c.headDim]),
        k: ctx.fromArray(x.k, [c.batch * c.seqLen, c.heads * c.headDim]),
        v: ctx.fromArray(x.v, [c.batch * c.seqLen, c.heads * c.headDim]),
        dOut: ctx.fromArray(x.dOut, [c.batch * c.seqLen, c.heads * c.headDim]),
        attnMask: ctx.fromArray(x.attnMask, [c.batch * c.seqLen]),
        headMask: ctx.fromArray(x.headMask, [c.heads]),
        // Outputs start as garbage: the kernels must overwrite every element (pooled memory).
        probs: ctx.fromArray(randomArray(c.batch * c.heads * c.seqLen * c.seqLen, 7, 9), [c.batch, c.heads, c.seqLen, c.seqLen]),
        out: ctx.fromArray(randomArray(n4, 8, 9), [c.batch * c.seqLen, c.heads * c.headDim]),
        dQ: ctx.fromArray(randomArray(n4, 9, 9), [c.batch * c.seqLen, c.heads * c.headDim]),
        dK: ctx.fromArray(randomArray(n4, 10, 9), [c.batch * c.seqLen, c.heads * c.headDim]),
        dV: ctx.fromArray(randomArray(n4, 11, 9), [c.batch * c.seqLen, c.heads * c.headDim]),
        dHeadMask: ctx.fromArray(x.dHeadMaskInitial, [c.heads]),
      };
      attentionForward(ctx, { ...shape, ...t, dropout: c.dropout, strategy });
      attentionBackward(ctx, { ...shape, ...t, dropout: c.dropout, strategy });
      const [probs, out, dQ, dK, dV, dHeadMask] = await ctx.readMany([t.probs, t.out, t.dQ, t.dK, t.dV, t.dHeadMask]);
      expectClose(probs, ref.probs, 1e-5, `${name} probs`);
      expectClose(out, ref.out, 1e-5, `${name} out`);
      expectClose(dQ, refGrads.dQ, 1e-5, `${name} dQ`);
      expectClose(dK, refGrads.dK, 1e-5, `${name} dK`);
      expectClose(dV, refGrads.dV, 1e-5, `${name} dV`);
      expectClose(dHeadMask, refDHeadMask, 1e-5, `${name} dHeadMask`);
      for (const tensor of Object.values(t)) tensor.dispose();
    });
  }

  it('dropout with p = 0 is the exact no-dropout path', async () => {
    const ctx = await gpuContext();
    const c: Case = { batch: 2, seqLen: 6, heads: 2, headDim: 5 };
    const x = inputsFor(c, 900);
    const rows = c.batch * c.seqLen;
    const tensors = [x.q, x.k, x.v].map((a) => ctx.fromArray(a, [rows, c.heads * c.headDim]));
    const [q, k, v] = tensors;
    const attnMask = ctx.fromArray(x.attnMask, [rows]);
    const headMask = ctx.fromArray(x.headMask, [c.heads]);
    const results: Float32Array[] = [];
    for (const dropout of [undefined, { p: 0, seed: 77 }]) {
      const probs = ctx.empty([c.batch, c.heads, c.seqLen, c.seqLen]);
      const out = ctx.empty([rows, c.heads * c.headDim]);
      attentionForward(ctx, { ...c, q, k, v, attnMask, headMask, probs, out, dropout, strategy });
      results.push(await ctx.read(out));
      probs.dispose();
      out.dispose();
    }
    expect(Array.from(results[1])).toEqual(Array.from(results[0]));
    for (const tensor of [...tensors, attnMask, headMask]) tensor.dispose();
  });

  it('the dropout keep-mask keeps about 1 − p and differs between seeds', () => {
    const count = 20000;
    let kept = 0;
    let agree = 0;
    for (let i = 0; i < count; i++) {
      const keep = attentionDropoutKeep(42, i, 0.2);
      if (keep) kept++;
      if (keep === attentionDropoutKeep(43, i, 0.2)) agree++;
    }
    expect(Math.abs(kept / count - 0.8)).toBeLessThan(0.01);
    // Independent masks agree on 0.8² + 0.2² = 68% of elements.
    expect(Math.abs(agree / count - 0.68)).toBeLessThan(0.02);
  });
});

describe('attention CPU reference backward vs finite differences (float64)', () => {
  const dropouts: (AttentionDropout | undefined)[] = [undefined, { p: 0.3, seed: 11 }];
  for (const dropout of dropouts) {
    it(`dropout ${JSON.stringify(dropout)}`, () => {
      const c: Case = { batch: 2, seqLen: 4, heads: 2, headDim: 3, lengths: [4, 3], headMask: [0.8, -1.3] };
      const shape: AttentionShape = { batch: c.batch, seqLen: c.seqLen, heads: c.heads, headDim: c.headDim };
      const x = inputsFor(c, 500);
      const inputs = {
        q: Float64Array.from(x.q),
        k: Float64Array.from(x.k),
        v: Float64Array.from(x.v),
        headMask: Float64Array.from(x.headMask),
      };
      const weights = Float64Array.from(x.dOut); // loss = Σ out ⊙ weights, so dOut = weights
      const loss = () => {
        const { out } = attentionForwardRef({ ...shape, ...inputs, attnMask: x.attnMask, dropout });
        return out.reduce((s, o, i) => s + o * weights[i], 0);
      };
      const { probs } = attentionForwardRef({ ...shape, ...inputs, attnMask: x.attnMask, dropout });
      const dHeadMask = new Float64Array(c.heads);
      const analytic = {
        ...attentionBackwardRef({ ...shape, ...inputs, dOut: weights, probs, dHeadMask, dropout }),
        dHeadMask,
      };
      const pairs = [
        ['q', 'dQ'],
        ['k', 'dK'],
        ['v', 'dV'],
        ['headMask', 'dHeadMask'],
      ] as const;
      const eps = 1e-6;
      for (const [input, grad] of pairs) {
        const values = inputs[input];
        const numeric = new Float64Array(values.length);
        for (let i = 0; i < values.length; i++) {
          const saved = values[i];
          values[i] = saved + eps;
          const plus = loss();
          values[i] = saved - eps;
          const minus = loss();
          values[i] = saved;
          numeric[i] = (plus - minus) / (2 * eps);
        }
        const err = maxRelativeError(analytic[grad], numeric);
        // Central differences: truncation ~eps² and rounding ~1e-16/eps, both far below 1e-7.
        expect(err, `${grad}: ${err.toExponential(2)}`).toBeLessThan(1e-7);
        expect(numeric.some((g) => g !== 0), `${grad} is not trivially zero`).toBe(true);
      }
    });
  }
});
