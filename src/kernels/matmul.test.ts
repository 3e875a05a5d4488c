import { describe, expect, it } from 'vitest';
import { matmul, vec4Path, type MatmulStrategy, type Vec4Path } from './matmul';
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
  /** Batch strides in elements (default: packed); broadcastB sets strideB to 0. */
  strideA?: number;
  strideB?: number;
  strideC?: number;
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
  // NT with K a multiple of 4: the registers strategy's vec4 NT loop (M, N off multiples of 32 and 64).
  { M: 1, N: 1, K: 4, transB: true },
  { M: 65, N: 67, K: 16, transB: true },
  { M: 130, N: 9, K: 36, transB: true, bias: true, activation: 'gelu', alpha: 0.5, beta: 1 },
  { M: 13, N: 21, K: 12, batch: 3, transB: true, strideA: 13 * 12 + 4, strideB: 21 * 12 + 8, strideC: 13 * 21 + 5, bias: true, activation: 'tanh' },
  { M: 7, N: 70, K: 8, batch: 2, transB: true, broadcastB: true, activation: 'relu', beta: 1 },
  // NT the vec4 loops must refuse: K or a batch stride not a multiple of 4.
  { M: 9, N: 10, K: 10, transB: true, bias: true },
  { M: 5, N: 6, K: 8, batch: 2, transB: true, strideA: 42 },
  // NN with K and N multiples of 4: the vec4 NN loop (a partial vec4 of columns and of rows past each edge).
  { M: 9, N: 68, K: 12, bias: true },
  { M: 1, N: 4, K: 4 },
  { M: 97, N: 100, K: 20, bias: true, activation: 'gelu', alpha: 0.5, beta: 1 },
  { M: 13, N: 36, K: 8, batch: 3, strideA: 13 * 8 + 4, strideB: 8 * 36 + 12, strideC: 13 * 36 + 3, activation: 'tanh' },
  { M: 33, N: 12, K: 16, batch: 2, broadcastB: true, bias: true, activation: 'relu', beta: 1 },
  // NN the vec4 loop must refuse: N, K or a batch stride not a multiple of 4; TN keeps the scalar loop.
  { M: 9, N: 70, K: 12, bias: true },
  { M: 10, N: 12, K: 6 },
  { M: 6, N: 8, K: 4, batch: 2, strideB: 34 },
  { M: 66, N: 10, K: 8, transA: true, beta: 1 },
];

const vec4Cases = new Map<number, Vec4Path>([
  [12, 'NT'],
  [13, 'NT'],
  [14, 'NT'],
  [15, 'NT'],
  [16, 'NT'],
  [19, 'NN'],
  [20, 'NN'],
  [21, 'NN'],
  [22, 'NN'],
  [23, 'NN'],
]);

interface Config {
  strategy: MatmulStrategy;
  vec4?: boolean;
}

const configs: [string, Config][] = [
  ['shared', { strategy: 'shared' }],
  ['registers', { strategy: 'registers' }],
  ['registers, vec4 loops off', { strategy: 'registers', vec4: false }],
];

function stridesOf(c: Case) {
  return { strideA: c.strideA, strideB: c.broadcastB ? 0 : c.strideB, strideC: c.strideC };
}

describe('matmul vec4 loop selection', () => {
  it('takes NT products whose K and batch strides are multiples of 4, and NN products whose N too', () => {
    for (const [n, c] of cases.entries()) {
      expect(vec4Path({ ...c, ...stridesOf(c) }), JSON.stringify(c)).toBe(vec4Cases.get(n));
    }
    expect(vec4Path({ M: 0, N: 4, K: 4, transB: true })).toBeUndefined();
    expect(vec4Path({ M: 4, N: 4, K: 0, transB: true })).toBeUndefined();
    expect(vec4Path({ M: 4, N: 0, K: 4 })).toBeUndefined();
  });
});

describe.each(configs)('matmul kernel (%s) vs CPU reference', (_, config) => {
  for (const [n, c] of cases.entries()) {
    const name = JSON.stringify(c);
    it(name, async () => {
      const ctx = await gpuContext();
      const batch = c.batch ?? 1;
      const { strideA, strideB, strideC } = stridesOf(c);
      const a = randomArray(batch * (strideA ?? c.M * c.K), 10 + n);
      const b = randomArray(c.broadcastB ? c.K * c.N : batch * (strideB ?? c.K * c.N), 20 + n);
      const bias = c.bias ? randomArray(c.N, 30 + n) : undefined;
      const initial = randomArray(batch * (strideC ?? c.M * c.N), 40 + n);
      const common = {
        M: c.M,
        N: c.N,
        K: c.K,
        transA: c.transA,
        transB: c.transB,
        batch,
        strideA,
        strideB,
        strideC,
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
      matmul(ctx, { ...common, a: tA, b: tB, out: tOut, bias: tBias, ...config });
      expectClose(await ctx.read(tOut), expected, 1e-5, name);
      for (const t of [tA, tB, tOut, tBias]) t?.dispose();
    });
  }
});
