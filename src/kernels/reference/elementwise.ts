/** CPU reference for elementwise.ts: same arguments, plain arrays, float64 arithmetic. */
import { gelu, geluGrad } from './math';
import type { ElementwiseActivation } from '../elementwise';

/** The activation references also run in float64, for the finite-difference check of the oracle. */
type Floats = Float32Array | Float64Array;

export function addRef(a: Float32Array, b: Float32Array, out: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) out[i] = a[i] + b[i];
}

/** target += alpha · x */
export function addInPlaceRef(target: Float32Array, x: Float32Array, n: number, alpha = 1): void {
  for (let i = 0; i < n; i++) target[i] += alpha * x[i];
}

const FORWARD: Record<ElementwiseActivation, (x: number) => number> = {
  gelu,
  relu: (x) => Math.max(x, 0),
  tanh: Math.tanh,
};

/** The derivative in terms of what the backward is given: pre-activation x for gelu/relu, output y for tanh. */
const DERIVATIVE: Record<ElementwiseActivation, (saved: number) => number> = {
  gelu: geluGrad,
  relu: (x) => (x > 0 ? 1 : 0),
  tanh: (y) => 1 - y * y,
};

export function activationForwardRef(act: ElementwiseActivation, x: Floats, out: Floats, n: number): void {
  const f = FORWARD[act];
  for (let i = 0; i < n; i++) out[i] = f(x[i]);
}

/** dx = (accumulate ? dx : 0) + dy · act'(saved) */
export function activationBackwardRef(
  act: ElementwiseActivation,
  saved: Floats,
  dy: Floats,
  dx: Floats,
  n: number,
  accumulate = false,
): void {
  const d = DERIVATIVE[act];
  for (let i = 0; i < n; i++) dx[i] = (accumulate ? dx[i] : 0) + dy[i] * d(saved[i]);
}

/** out[r,c] = x[r,c] · scale[c];  x, out [rows, cols], scale [cols] */
export function scaleColumnsForwardRef(x: Float32Array, scale: Float32Array, out: Float32Array, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[r * cols + c] = x[r * cols + c] * scale[c];
}

/** dx[r,c] = dy[r,c]·scale[c] (overwrite); dScale[c] += Σ_r dy[r,c]·x[r,c] (accumulate) */
export function scaleColumnsBackwardRef(
  x: Float32Array,
  scale: Float32Array,
  dy: Float32Array,
  dx: Float32Array,
  dScale: Float32Array,
  rows: number,
  cols: number,
): void {
  for (let c = 0; c < cols; c++) {
    let sum = 0;
    for (let r = 0; r < rows; r++) {
      const k = r * cols + c;
      dx[k] = dy[k] * scale[c];
      sum += dy[k] * x[k];
    }
    dScale[c] += sum;
  }
}

/** The PCG hash (O'Neill; Jarzynski & Olano's GPU variant) on u32, as the WGSL does it. */
function pcgHash(v: number): number {
  const state = (Math.imul(v >>> 0, 747796405) + 2891336453) >>> 0;
  const word = Math.imul(((state >>> ((state >>> 28) + 4)) ^ state) >>> 0, 277803737) >>> 0;
  return ((word >>> 22) ^ word) >>> 0;
}

/** The dropout RNG: a uniform in [0, 1) with 24 random bits, a pure function of (seed, i). CPU twin of WGSL_DROPOUT_HASH. */
export function dropoutUniform(seed: number, i: number): number {
  const h = pcgHash((pcgHash(i >>> 0) ^ pcgHash(seed >>> 0)) >>> 0);
  return (h >>> 8) / 16777216;
}

/** Whether element i survives dropout with probability p (the GPU compares against p as f32). */
export function dropoutKeep(seed: number, i: number, p: number): boolean {
  return dropoutUniform(seed, i) >= Math.fround(p);
}

/** The f32 factor kept elements are multiplied by (0 when p ≥ 1: everything is dropped). */
export function dropoutScale(p: number): number {
  return p >= 1 ? 0 : Math.fround(1 / (1 - p));
}

/** out = keep ? x·(1/(1-p)) : 0, rounded to f32 exactly as the GPU does. */
export function dropoutForwardRef(x: Float32Array, out: Float32Array, n: number, p: number, seed: number): void {
  const scale = dropoutScale(p);
  for (let i = 0; i < n; i++) out[i] = dropoutKeep(seed, i, p) ? Math.fround(x[i] * scale) : 0;
}

export function dropoutBackwardRef(dy: Float32Array, dx: Float32Array, n: number, p: number, seed: number): void {
  dropoutForwardRef(dy, dx, n, p, seed);
}

/** x [count*stride, cols] → out [count, cols]: out[i,:] = x[i*stride,:] */
export function gatherRowsRef(x: Float32Array, out: Float32Array, count: number, stride: number, cols: number): void {
  for (let i = 0; i < count; i++) for (let c = 0; c < cols; c++) out[i * cols + c] = x[i * stride * cols + c];
}

/** dx[i*stride,:] += dOut[i,:] */
export function scatterRowsAddRef(dOut: Float32Array, dx: Float32Array, count: number, stride: number, cols: number): void {
  for (let i = 0; i < count; i++) for (let c = 0; c < cols; c++) dx[i * stride * cols + c] += dOut[i * cols + c];
}
