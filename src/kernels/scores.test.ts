import { describe, expect, it } from 'vitest';
import { importanceRatio, rankScores } from './scores';
import type { ReductionStrategy } from './wgsl';
import { importanceRatioRef, importanceRatioValue, rankScoresRef } from './reference/scores';
import { expectClose, gpuContext, randomArray } from '../../test/helpers';

describe('scores CPU references', () => {
  it('rankScores: hand-computed', () => {
    // rank 2, in 2, out 3. r=0: meanA = (1·2 + 3·(-4))/2 = -5, meanB = (1·1 + 2·1 + 3·(-1))/3 = 0 → 5
    // r=1: meanA = (0.5·2 + 0·9)/2 = 0.5, meanB = (-1·2 + 0 + 1·1)/3 = -1/3 → 0.5 + 1/3
    const out = new Float32Array([10, 10]);
    rankScoresRef({
      a: new Float32Array([1, 3, 0.5, 0]),
      gradA: new Float32Array([2, -4, 2, 9]),
      b: new Float32Array([1, -1, 2, 0, 3, 1]),
      gradB: new Float32Array([1, 2, 1, 5, -1, 1]),
      rank: 2,
      inFeatures: 2,
      outFeatures: 3,
      out,
      beta: 1,
    });
    expect(out[0]).toBeCloseTo(15, 5);
    expect(out[1]).toBeCloseTo(10 + 0.5 + 1 / 3, 5);
  });

  it('importanceRatio: hand-computed, with padding and a zero base row', () => {
    // t0: ‖(3,4)‖/‖(0,10)‖ = 0.5; t1 padding; t2: base 0 → counts as 0; t3: ‖(1,0)‖/‖(0,0.5)‖ = 2 → (0.5+0+2)/3
    const value = importanceRatioValue({
      delta: new Float32Array([3, 4, 100, 100, 1, 1, 1, 0]),
      base: new Float32Array([0, 10, 1, 1, 0, 0, 0, 0.5]),
      tokenMask: new Float32Array([1, 0, 1, 1]),
      tokens: 4,
      features: 2,
    });
    expect(value).toBeCloseTo(2.5 / 3, 6);
  });
});

describe.each<ReductionStrategy>(['workgroup', 'serial'])('rankScores kernel (%s) vs CPU reference', (strategy) => {
  const cases = [
    { rank: 1, inFeatures: 30, outFeatures: 47, beta: 0 },
    { rank: 3, inFeatures: 30, outFeatures: 47, beta: 1 },
    { rank: 8, inFeatures: 65, outFeatures: 129, beta: 0 },
    { rank: 8, inFeatures: 200, outFeatures: 33, beta: 1 },
    { rank: 5, inFeatures: 1, outFeatures: 1, beta: 0.5 },
  ];
  for (const [c, { rank, inFeatures, outFeatures, beta }] of cases.entries()) {
    const name = `rank=${rank} in=${inFeatures} out=${outFeatures} beta=${beta}`;
    it(name, async () => {
      const ctx = await gpuContext();
      const a = randomArray(rank * inFeatures, 10 + c);
      const gradA = randomArray(rank * inFeatures, 20 + c, 1e-3);
      const b = randomArray(outFeatures * rank, 30 + c);
      const gradB = randomArray(outFeatures * rank, 40 + c, 1e-3);
      // beta 0 must not read out: start it at NaN there.
      const initial = beta === 0 ? new Float32Array(rank).fill(NaN) : randomArray(rank, 50 + c).map(Math.abs);
      const tensors = [a, gradA, b, gradB].map((x) => ctx.fromArray(x, [x.length]));
      const tOut = ctx.fromArray(initial, [rank]);
      const expected = initial.slice();
      rankScoresRef({ a, gradA, b, gradB, rank, inFeatures, outFeatures, out: expected, beta });
      const [tA, tGradA, tB, tGradB] = tensors;
      // Twice: the second call shows accumulation over steps (beta 1) or overwriting (beta 0).
      for (let call = 0; call < 2; call++) {
        rankScores(ctx, { a: tA, gradA: tGradA, b: tB, gradB: tGradB, rank, inFeatures, outFeatures, out: tOut, beta, strategy });
        if (call === 1) rankScoresRef({ a, gradA, b, gradB, rank, inFeatures, outFeatures, out: expected, beta });
        expectClose(await ctx.read(tOut), expected, 1e-5, `${name} call ${call}`);
      }
      for (const t of [...tensors, tOut]) t.dispose();
    });
  }
});

describe.each<ReductionStrategy>(['workgroup', 'serial'])('importanceRatio kernel (%s) vs CPU reference', (strategy) => {
  const cases = [
    { tokens: 1, features: 30, beta: 0 },
    { tokens: 13, features: 30, beta: 0 },
    { tokens: 70, features: 769, beta: 1 },
    { tokens: 300, features: 65, beta: 1 },
  ];
  for (const [c, { tokens, features, beta }] of cases.entries()) {
    const name = `tokens=${tokens} features=${features} beta=${beta}`;
    it(name, async () => {
      const ctx = await gpuContext();
      const delta = randomArray(tokens * features, 10 + c, 0.05);
      const base = randomArray(tokens * features, 20 + c);
      const tokenMask = new Float32Array(tokens).fill(1);
      if (tokens > 1) {
        // Padding at the end of the batch and in the middle (a second sequence), with huge values.
        for (let t = Math.ceil(tokens * 0.7); t < tokens; t++) tokenMask[t] = 0;
        tokenMask[Math.floor(tokens / 3)] = 0;
        for (let t = 0; t < tokens; t++) {
          if (tokenMask[t] === 0) for (let f = 0; f < features; f++) delta[t * features + f] = 1e6;
        }
        // A real token whose base row is all zero (ratio inf → counts as 0) and one where both are (NaN → 0).
        base.fill(0, 2 * features, 3 * features);
        base.fill(0, 0, features);
        delta.fill(0, 0, features);
      }
      if (tokens > 5) delta[5 * features + 1] = NaN; // a real token with a NaN contribution counts as 0
      const initial = new Float32Array([beta === 0 ? NaN : 0.37]);
      const tDelta = ctx.fromArray(delta, [tokens, features]);
      const tBase = ctx.fromArray(base, [tokens, features]);
      const tMask = ctx.fromArray(tokenMask, [tokens]);
      const tOut = ctx.fromArray(initial, [1]);
      const expected = initial.slice();
      importanceRatioRef({ delta, base, tokenMask, tokens, features, out: expected, beta });
      importanceRatio(ctx, { delta: tDelta, base: tBase, tokenMask: tMask, tokens, features, out: tOut, beta, strategy });
      expectClose(await ctx.read(tOut), expected, 1e-5, name);
      if (beta === 1) {
        importanceRatio(ctx, { delta: tDelta, base: tBase, tokenMask: tMask, tokens, features, out: tOut, beta, strategy });
        importanceRatioRef({ delta, base, tokenMask, tokens, features, out: expected, beta });
        expectClose(await ctx.read(tOut), expected, 1e-5, `${name} accumulated`);
      }
      for (const t of [tDelta, tBase, tMask, tOut]) t.dispose();
    });
  }

  it('is 0 when every token is padding', async () => {
    const ctx = await gpuContext();
    const tDelta = ctx.fromArray(randomArray(12, 1), [4, 3]);
    const tBase = ctx.fromArray(randomArray(12, 2), [4, 3]);
    const tMask = ctx.zeros([4]);
    const tOut = ctx.fromArray(new Float32Array([NaN]), [1]);
    importanceRatio(ctx, { delta: tDelta, base: tBase, tokenMask: tMask, tokens: 4, features: 3, out: tOut, beta: 0, strategy });
    expect(Array.from(await ctx.read(tOut))).toEqual([0]);
    for (const t of [tDelta, tBase, tMask, tOut]) t.dispose();
  });
});
