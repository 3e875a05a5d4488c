import { describe, it } from 'vitest';
import { matmulNaive } from './matmul-naive';
import { matmulRef } from './reference/matmul';
import { expectClose, gpuContext, randomArray } from '../../test/helpers';

const cases = [
  { M: 1, N: 1, K: 1 },
  { M: 7, N: 5, K: 3 },
  { M: 17, N: 33, K: 70 },
  { M: 65, N: 15, K: 31 },
];

describe('naive matmul kernel vs CPU reference', () => {
  for (const [n, c] of cases.entries()) {
    const name = JSON.stringify(c);
    it(name, async () => {
      const ctx = await gpuContext();
      const a = randomArray(c.M * c.K, 10 + n);
      const b = randomArray(c.K * c.N, 20 + n);
      const expected = new Float32Array(c.M * c.N);
      matmulRef({ ...c, a, b, out: expected });

      const tA = ctx.fromArray(a, [c.M, c.K]);
      const tB = ctx.fromArray(b, [c.K, c.N]);
      // Garbage in the output proves the kernel writes every element.
      const tOut = ctx.fromArray(randomArray(c.M * c.N, 30 + n, 100), [c.M, c.N]);
      matmulNaive(ctx, { ...c, a: tA, b: tB, out: tOut });
      expectClose(await ctx.read(tOut), expected, 1e-5, name);
      for (const t of [tA, tB, tOut]) t.dispose();
    });
  }
});
