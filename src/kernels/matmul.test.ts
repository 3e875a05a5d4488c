import { describe, it } from 'vitest';
import { matmul, type MatmulStrategy } from './matmul';
import { matmulRef } from './reference/matmul';
import { expectClose, gpuContext, randomArray } from '../../test/helpers';
import type { Activation } from './wgsl-math';

interface Case {
  M: number;
  N: number;
  K: number;
  transA?: boolean;
  transB?: boolean;
  batch?: number;
  bias?: boolean;
  alpha?: number;
  beta?: number;
  activation?: Activation;
  broadcastB?: boolean;
}

const cases: Case[] = [
  { M: 1, N: 1, K: 1 },
  { M: 7, N: 5, K: 3 },
  { M: 65, N: 67, K: 17 },
  { M: 33, N: 30, K: 30, transB: true, bias: true },
  { M: 30, N: 47, K: 33, transA: true },
  { M: 29, N: 31, K: 70, transA: true, transB: true, alpha: 0.5 },
  { M: 70, N: 19, K: 23, beta: 1 },
  { M: 13, N: 9, K: 11, batch: 3, transB: true },
  { M: 13, N: 9, K: 11, batch: 4, broadcastB: true, bias: true, activation: 'gelu' },
  { M: 5, N: 66, K: 31, bias: true, activation: 'tanh', beta: 1, alpha: 2 },
  { M: 17, N: 20, K: 5, bias: true, activation: 'relu' },
  { M: 130, N: 129, K: 3, transA: true, transB: true, bias: true, beta: 1 },
];

describe.each<MatmulStrategy>(['shared', 'registers'])('matmul kernel (%s) vs CPU reference', (strategy) => {
  for (const [n, c] of cases.entries()) {
    const name = JSON.stringify(c);
    it(name, async () => {
      const ctx = await gpuContext();
      const batch = c.batch ?? 1;
      const a = randomArray(batch * c.M * c.K, 10 + n);
      const b = randomArray((c.broadcastB ? 1 : batch) * c.K * c.N, 20 + n);
      const bias = c.bias ? randomArray(c.N, 30 + n) : undefined;
      const initial = randomArray(batch * c.M * c.N, 40 + n);
      const common = {
        M: c.M,
        N: c.N,
        K: c.K,
        transA: c.transA,
        transB: c.transB,
        batch,
        strideB: c.broadcastB ? 0 : undefined,
        alpha: c.alpha,
        beta: c.beta,
        activation: c.activation,
      };
      const expected = initial.slice();
      matmulRef({ ...common, a, b, out: expected, bias });

      const tA = ctx.fromArray(a, [a.length]);
      const tB = ctx.fromArray(b, [b.length]);
      const tOut = ctx.fromArray(initial, [initial.length]);
      const tBias = bias ? ctx.fromArray(bias, [bias.length]) : undefined;
      matmul(ctx, { ...common, a: tA, b: tB, out: tOut, bias: tBias, strategy });
      expectClose(await ctx.read(tOut), expected, 1e-5, name);
      for (const t of [tA, tB, tOut, tBias]) t?.dispose();
    });
  }
});
