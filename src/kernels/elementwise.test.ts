import { describe, expect, it } from 'vitest';
import {
  activationBackward,
  activationForward,
  add,
  addInPlace,
  dropoutBackward,
  dropoutForward,
  gatherRows,
  scaleColumnsBackward,
  scaleColumnsForward,
  scatterRowsAdd,
  type ElementwiseActivation,
} from './elementwise';
import {
  activationBackwardRef,
  activationForwardRef,
  addInPlaceRef,
  addRef,
  dropoutForwardRef,
  dropoutKeep,
  gatherRowsRef,
  scaleColumnsBackwardRef,
  scaleColumnsForwardRef,
  scatterRowsAddRef,
} from './reference/elementwise';
import { expectClose, gpuContext, randomArray } from '../../test/helpers';
import type { GpuContext } from '../gpu/context';

const ACTS: ElementwiseActivation[] = ['gelu', 'relu', 'tanh'];
const SIZES = [1, 257, 1000];

function upload(ctx: GpuContext, data: Float32Array) {
  return ctx.fromArray(data, [data.length]);
}

describe('add / addInPlace', () => {
  for (const n of SIZES) {
    it(`add n=${n}`, async () => {
      const ctx = await gpuContext();
      const a = randomArray(n, 1 + n);
      const b = randomArray(n, 2 + n);
      const expected = new Float32Array(n);
      addRef(a, b, expected, n);
      const [tA, tB, tOut] = [upload(ctx, a), upload(ctx, b), ctx.empty([n])];
      add(ctx, { a: tA, b: tB, out: tOut, n });
      expectClose(await ctx.read(tOut), expected, 1e-6);
      for (const t of [tA, tB, tOut]) t.dispose();
    });
    it(`addInPlace n=${n}, alpha ${n === 257 ? 'default' : '-0.75'}`, async () => {
      const ctx = await gpuContext();
      const alpha = n === 257 ? undefined : -0.75;
      const target = randomArray(n, 3 + n);
      const x = randomArray(n, 4 + n);
      const expected = target.slice();
      addInPlaceRef(expected, x, n, alpha);
      const [tTarget, tX] = [upload(ctx, target), upload(ctx, x)];
      addInPlace(ctx, { target: tTarget, x: tX, n, alpha });
      expectClose(await ctx.read(tTarget), expected, 1e-6);
      for (const t of [tTarget, tX]) t.dispose();
    });
  }
});

describe('activations', () => {
  for (const act of ACTS) {
    for (const n of SIZES) {
      it(`${act} forward n=${n}`, async () => {
        const ctx = await gpuContext();
        const x = randomArray(n, 10 + n, 4);
        const expected = new Float32Array(n);
        activationForwardRef(act, x, expected, n);
        const [tX, tOut] = [upload(ctx, x), ctx.empty([n])];
        activationForward(ctx, { act, x: tX, out: tOut, n });
        expectClose(await ctx.read(tOut), expected, 1e-5, act);
        for (const t of [tX, tOut]) t.dispose();
      });
    }
    for (const [n, accumulate] of [
      [257, false],
      [1000, true],
      [1, true],
    ] as const) {
      it(`${act} backward n=${n} accumulate=${accumulate}`, async () => {
        const ctx = await gpuContext();
        const x = randomArray(n, 20 + n, 4);
        const saved = x.slice();
        if (act === 'tanh') activationForwardRef('tanh', x, saved, n); // tanh saves its output
        const dy = randomArray(n, 21 + n);
        const initial = randomArray(n, 22 + n);
        const expected = initial.slice();
        activationBackwardRef(act, saved, dy, expected, n, accumulate);
        const [tSaved, tDy, tDx] = [upload(ctx, saved), upload(ctx, dy), upload(ctx, initial)];
        activationBackward(ctx, { act, saved: tSaved, dy: tDy, dx: tDx, n, accumulate });
        expectClose(await ctx.read(tDx), expected, 1e-5, act);
        for (const t of [tSaved, tDy, tDx]) t.dispose();
      });
    }
    it(`${act} reference backward matches a float64 finite difference of the reference forward`, () => {
      const n = 40;
      const x = new Float64Array(n).map((_, i) => -5 + (10 * (i + 0.5)) / n); // never exactly 0 (relu's kink)
      const h = 1e-6;
      const forward = (v: number) => {
        const out = new Float64Array(1);
        activationForwardRef(act, new Float64Array([v]), out, 1);
        return out[0];
      };
      const fd = x.map((v) => (forward(v + h) - forward(v - h)) / (2 * h));
      const saved = x.slice();
      if (act === 'tanh') activationForwardRef('tanh', x, saved, n);
      const analytic = new Float64Array(n);
      activationBackwardRef(act, saved, new Float64Array(n).fill(1), analytic, n);
      expectClose(analytic, fd, 1e-7, `${act} finite difference`);
    });
  }
  it('tanh stays finite and saturates for large |x|', async () => {
    const ctx = await gpuContext();
    const x = new Float32Array([-1000, -50, -20, 20, 50, 1000, 0]);
    const tX = upload(ctx, x);
    const tOut = ctx.empty([x.length]);
    activationForward(ctx, { act: 'tanh', x: tX, out: tOut, n: x.length });
    expect(Array.from(await ctx.read(tOut))).toEqual([-1, -1, -1, 1, 1, 1, 0]);
    for (const t of [tX, tOut]) t.dispose();
  });
});

describe('scaleColumns', () => {
  for (const [rows, cols] of [
    [7, 30],
    [7, 47],
    [7, 769],
    [1, 33],
    [40, 5],
  ]) {
    it(`forward and backward rows ${rows} × cols ${cols}`, async () => {
      const ctx = await gpuContext();
      const size = rows * cols;
      const x = randomArray(size, 30 + cols);
      const scale = randomArray(cols, 31 + cols);
      const dy = randomArray(size, 32 + cols);
      const dScale0 = randomArray(cols, 33 + cols);
      const out = new Float32Array(size);
      scaleColumnsForwardRef(x, scale, out, rows, cols);
      const dx = new Float32Array(size);
      const dScale = dScale0.slice();
      scaleColumnsBackwardRef(x, scale, dy, dx, dScale, rows, cols);

      const [tX, tScale, tDy, tDScale] = [upload(ctx, x), upload(ctx, scale), upload(ctx, dy), upload(ctx, dScale0)];
      const [tOut, tDx] = [ctx.empty([rows, cols]), ctx.empty([rows, cols])];
      scaleColumnsForward(ctx, { x: tX, scale: tScale, out: tOut, rows, cols });
      scaleColumnsBackward(ctx, { x: tX, scale: tScale, dy: tDy, dx: tDx, dScale: tDScale, rows, cols });
      expectClose(await ctx.read(tOut), out, 1e-6, 'out');
      expectClose(await ctx.read(tDx), dx, 1e-6, 'dx');
      expectClose(await ctx.read(tDScale), dScale, 1e-5, 'dScale');
      for (const t of [tX, tScale, tDy, tDScale, tOut, tDx]) t.dispose();
    });
  }
});

describe('dropout', () => {
  it('p = 0 is an exact copy, forward and backward', async () => {
    const ctx = await gpuContext();
    const n = 1000;
    const x = randomArray(n, 40, 100);
    const [tX, tOut, tDx] = [upload(ctx, x), ctx.empty([n]), ctx.empty([n])];
    dropoutForward(ctx, { x: tX, out: tOut, n, p: 0, seed: 123 });
    dropoutBackward(ctx, { dy: tX, dx: tDx, n, p: 0, seed: 123 });
    expect(await ctx.read(tOut)).toEqual(x);
    expect(await ctx.read(tDx)).toEqual(x);
    for (const t of [tX, tOut, tDx]) t.dispose();
  });

  it('p = 0.3: drops ≈30%, matches the CPU twin exactly, same seed → same mask, backward uses the forward mask', async () => {
    const ctx = await gpuContext();
    const n = 20_001;
    const p = 0.3;
    const seed = 0xdeadbeef;
    const x = randomArray(n, 41);
    const dy = randomArray(n, 42);
    const expected = new Float32Array(n);
    dropoutForwardRef(x, expected, n, p, seed);
    const [tX, tDy] = [upload(ctx, x), upload(ctx, dy)];
    const [tOut, tOut2, tOther, tDx] = [ctx.empty([n]), ctx.empty([n]), ctx.empty([n]), ctx.empty([n])];
    dropoutForward(ctx, { x: tX, out: tOut, n, p, seed });
    dropoutForward(ctx, { x: tX, out: tOut2, n, p, seed });
    dropoutForward(ctx, { x: tX, out: tOther, n, p, seed: seed + 1 });
    dropoutBackward(ctx, { dy: tDy, dx: tDx, n, p, seed });
    const [out, out2, other, dx] = await ctx.readMany([tOut, tOut2, tOther, tDx]);

    expect(out).toEqual(expected); // same hash, same f32 arithmetic
    expect(out2).toEqual(out);
    const dropped = out.filter((v) => v === 0).length / n;
    expect(Math.abs(dropped - p)).toBeLessThan(0.02); // std of the fraction ≈ 0.003
    const otherDropped = other.reduce((m, v, i) => m + (v === 0 ? 1 : 0) * (out[i] === 0 ? 1 : 0), 0) / n;
    expect(Math.abs(otherDropped - p * p)).toBeLessThan(0.02); // another seed's mask is independent
    for (let i = 0; i < n; i++) {
      const keep = dropoutKeep(seed, i, p);
      if ((out[i] !== 0) !== keep || (dx[i] !== 0) !== keep) throw new Error(`mask mismatch at ${i}`);
      if (keep) expect(Math.abs(dx[i] - dy[i] / (1 - p))).toBeLessThan(1e-6);
      if (keep) expect(Math.abs(out[i] - x[i] / (1 - p))).toBeLessThan(1e-6);
    }
    for (const t of [tX, tDy, tOut, tOut2, tOther, tDx]) t.dispose();
  });

  it('backward with accumulate adds the masked gradient to what dx holds', async () => {
    const ctx = await gpuContext();
    const n = 1000;
    const p = 0.4;
    const seed = 77;
    const dy = randomArray(n, 43);
    const prior = randomArray(n, 44);
    const masked = new Float32Array(n);
    dropoutForwardRef(dy, masked, n, p, seed);
    const [tDy, tDx] = [upload(ctx, dy), upload(ctx, prior)];
    dropoutBackward(ctx, { dy: tDy, dx: tDx, n, p, seed, accumulate: true });
    expect(await ctx.read(tDx)).toEqual(prior.map((v, i) => Math.fround(v + masked[i])));
    for (const t of [tDy, tDx]) t.dispose();
  });
});

describe('gatherRows / scatterRowsAdd', () => {
  for (const [count, stride, cols] of [
    [3, 9, 30],
    [3, 9, 769],
    [1, 1, 1],
    [5, 1, 47],
  ]) {
    it(`count ${count}, stride ${stride}, cols ${cols}`, async () => {
      const ctx = await gpuContext();
      const x = randomArray(count * stride * cols, 50 + cols);
      const dOut = randomArray(count * cols, 51 + cols);
      const dx0 = randomArray(count * stride * cols, 52 + cols);
      const out = new Float32Array(count * cols);
      gatherRowsRef(x, out, count, stride, cols);
      const dx = dx0.slice();
      scatterRowsAddRef(dOut, dx, count, stride, cols);

      const [tX, tDOut, tDx, tOut] = [upload(ctx, x), upload(ctx, dOut), upload(ctx, dx0), ctx.empty([count, cols])];
      gatherRows(ctx, { x: tX, out: tOut, count, stride, cols });
      scatterRowsAdd(ctx, { dOut: tDOut, dx: tDx, count, stride, cols });
      expect(await ctx.read(tOut)).toEqual(out);
      expectClose(await ctx.read(tDx), dx, 1e-6, 'dx');
      for (const t of [tX, tDOut, tDx, tOut]) t.dispose();
    });
  }
});
