import { describe, it } from 'vitest';
import { layerNormBackward, layerNormForward } from './layernorm';
import type { ReductionStrategy } from './wgsl';
import { layerNormBackwardRef, layerNormForwardRef } from './reference/layernorm';
import { expectClose, gpuContext, randomArray } from '../../test/helpers';

interface Case {
  rows: number;
  cols: number;
  grads: 'both' | 'none' | 'gamma' | 'beta';
  /** Added to x so |mean| ≫ std, which a one-pass variance would get wrong. */
  offset?: number;
}

const cases: Case[] = [
  { rows: 7, cols: 30, grads: 'both' },
  { rows: 7, cols: 768, grads: 'both', offset: 3 },
  { rows: 3, cols: 769, grads: 'none' },
  { rows: 40, cols: 47, grads: 'gamma', offset: -2 },
  { rows: 9, cols: 33, grads: 'beta' },
  { rows: 1, cols: 1, grads: 'both' },
];

const EPS = 1e-5;

describe.each<ReductionStrategy>(['workgroup', 'serial'])('layerNorm kernels (%s) vs CPU reference', (strategy) => {
  for (const [k, c] of cases.entries()) {
    const name = JSON.stringify(c);
    it(name, async () => {
      const ctx = await gpuContext();
      const { rows, cols } = c;
      const x = randomArray(rows * cols, 100 + k, 2).map((v) => v + (c.offset ?? 0));
      const gamma = randomArray(cols, 101 + k).map((v) => 1 + 0.5 * v);
      const beta = randomArray(cols, 102 + k);
      const dy = randomArray(rows * cols, 103 + k);
      const dGamma0 = randomArray(cols, 104 + k);
      const dBeta0 = randomArray(cols, 105 + k);
      const wantGamma = c.grads === 'both' || c.grads === 'gamma';
      const wantBeta = c.grads === 'both' || c.grads === 'beta';

      const out = new Float32Array(rows * cols);
      const mean = new Float32Array(rows);
      const rstd = new Float32Array(rows);
      layerNormForwardRef({ x, gamma, beta, out, mean, rstd, rows, cols, eps: EPS });
      const dx = new Float32Array(rows * cols);
      const dGamma = dGamma0.slice();
      const dBeta = dBeta0.slice();
      layerNormBackwardRef({
        dy,
        x,
        gamma,
        mean,
        rstd,
        dx,
        rows,
        cols,
        dGamma: wantGamma ? dGamma : undefined,
        dBeta: wantBeta ? dBeta : undefined,
      });

      const t = {
        x: ctx.fromArray(x, [rows, cols]),
        gamma: ctx.fromArray(gamma, [cols]),
        beta: ctx.fromArray(beta, [cols]),
        dy: ctx.fromArray(dy, [rows, cols]),
        dGamma: ctx.fromArray(dGamma0, [cols]),
        dBeta: ctx.fromArray(dBeta0, [cols]),
        out: ctx.empty([rows, cols]),
        mean: ctx.empty([rows]),
        rstd: ctx.empty([rows]),
        dx: ctx.empty([rows, cols]),
      };
      layerNormForward(ctx, { x: t.x, gamma: t.gamma, beta: t.beta, out: t.out, mean: t.mean, rstd: t.rstd, rows, cols, eps: EPS, strategy });
      layerNormBackward(ctx, {
        dy: t.dy,
        x: t.x,
        gamma: t.gamma,
        mean: t.mean,
        rstd: t.rstd,
        dx: t.dx,
        rows,
        cols,
        dGamma: wantGamma ? t.dGamma : undefined,
        dBeta: wantBeta ? t.dBeta : undefined,
        strategy,
      });
      const [gOut, gMean, gRstd, gDx, gDGamma, gDBeta] = await ctx.readMany([t.out, t.mean, t.rstd, t.dx, t.dGamma, t.dBeta]);
      // float32 sums over up to 769 columns vs a float64 oracle: 1e-5 holds (measured ≤ 3e-7), no need for 1e-4.
      expectClose(gOut, out, 1e-5, 'out');
      expectClose(gMean, mean, 1e-5, 'mean');
      expectClose(gRstd, rstd, 1e-5, 'rstd');
      expectClose(gDx, dx, 1e-5, 'dx');
      expectClose(gDGamma, dGamma, 1e-5, 'dGamma');
      expectClose(gDBeta, dBeta, 1e-5, 'dBeta');
      for (const tensor of Object.values(t)) tensor.dispose();
    });
  }
});

describe('layerNorm reference backward', () => {
  it('matches a float64 finite difference of the reference forward', () => {
    const rows = 3;
    const cols = 5;
    const x = Float64Array.from(randomArray(rows * cols, 7, 2));
    const gamma = Float64Array.from(randomArray(cols, 8)).map((v) => 1 + 0.5 * v);
    const beta = Float64Array.from(randomArray(cols, 9));
    const w = Float64Array.from(randomArray(rows * cols, 10)); // L = Σ w·out, so dL/dout = w
    const eps = 1e-5;
    const loss = (xs: Float64Array, g: Float64Array, b: Float64Array): number => {
      const out = new Float64Array(rows * cols);
      layerNormForwardRef({ x: xs, gamma: g, beta: b, out, mean: new Float64Array(rows), rstd: new Float64Array(rows), rows, cols, eps });
      return out.reduce((s, v, i) => s + v * w[i], 0);
    };
    const h = 1e-6;
    const numeric = (param: Float64Array): Float64Array =>
      param.map((_, i) => {
        const saved = param[i];
        param[i] = saved + h;
        const up = loss(x, gamma, beta);
        param[i] = saved - h;
        const down = loss(x, gamma, beta);
        param[i] = saved;
        return (up - down) / (2 * h);
      });

    const mean = new Float64Array(rows);
    const rstd = new Float64Array(rows);
    layerNormForwardRef({ x, gamma, beta, out: new Float64Array(rows * cols), mean, rstd, rows, cols, eps });
    const dx = new Float64Array(rows * cols);
    const dGamma = new Float64Array(cols);
    const dBeta = new Float64Array(cols);
    layerNormBackwardRef({ dy: w, x, gamma, mean, rstd, dx, rows, cols, dGamma, dBeta });
    expectClose(dx, numeric(x), 1e-7, 'dx');
    expectClose(dGamma, numeric(gamma), 1e-7, 'dGamma');
    expectClose(dBeta, numeric(beta), 1e-7, 'dBeta');
  });
});
