/**
 * Elementwise ops, generated from one table: each entry names its storage bindings, extra
 * uniforms and a one-line WGSL body over the flat index `i`; `runElementwise` turns an entry into
 * a shader with one thread per element, so a new op is one table row. The column reduction in
 * scaleColumnsBackward is written out below the table.
 *
 * Dropout uses a stateless hash RNG keyed by (seed, element index), so the backward regenerates
 * the forward's keep-mask and nothing is stored. `WGSL_DROPOUT_HASH` is exported so attention's
 * probability dropout draws from the same RNG; `dropoutKeep` in reference/elementwise.ts is its
 * CPU twin.
 */
import type { GpuContext } from '../gpu/context';
import type { Tensor } from '../gpu/buffers';
import { MAX_WORKGROUPS_PER_DIM, flatIndexMain, grid1d, type UniformSpec } from './wgsl';
import { WGSL_GELU } from './wgsl-math';
import { defineKernel, readOnly, readWrite, type StorageBinding } from './kernel';
import { laneSumWgsl } from './wgsl-reduce';

const WORKGROUP = 256;

export type ElementwiseActivation = 'gelu' | 'relu' | 'tanh';

/**
 * PCG hash → uniform in [0, 1) with 24 random bits. Element i is kept iff
 * `dropout_uniform(seed, i) >= p`. Hashing i and seed separately before mixing keeps different
 * seeds from producing shifted copies of the same mask.
 */
export const WGSL_DROPOUT_HASH = /* wgsl */ `
fn dropout_pcg(v: u32) -> u32 {
  let state = v * 747796405u + 2891336453u;
  let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
  return (word >> 22u) ^ word;
}
fn dropout_uniform(seed: u32, i: u32) -> f32 {
  let h = dropout_pcg(dropout_pcg(i) ^ dropout_pcg(seed));
  return f32(h >> 8u) * (1.0 / 16777216.0);
}
fn dropout_keep(seed: u32, i: u32, p: f32) -> bool {
  return dropout_uniform(seed, i) >= p;
}
`;

interface ElementwiseKernel {
  /** Storage buffers in binding order (from binding 1). */
  bindings: readonly StorageBinding[];
  /** Uniforms besides `n` (the element count). */
  uniforms?: UniformSpec;
  helpers?: string;
  /** WGSL statements for element `i` (already bounds-checked); uniforms are `p.*`. */
  body: string;
}

interface ActivationCode {
  /** WGSL of the activation of the f32 expression `v`. */
  forward: (v: string) => string;
  /** WGSL of the derivative given what the backward saves (pre-activation, or output for tanh). */
  derivative: (saved: string) => string;
  helpers?: string;
}

const ACTIVATIONS: Record<ElementwiseActivation, ActivationCode> = {
  gelu: { forward: (v) => `gelu(${v})`, derivative: (x) => `gelu_grad(${x})`, helpers: WGSL_GELU },
  relu: { forward: (v) => `max(${v}, 0.0)`, derivative: (x) => `select(0.0, 1.0, ${x} > 0.0)` },
  // tanh(±15) is ±1 in f32; clamping avoids backends whose tanh returns NaN for large |x|.
  tanh: { forward: (v) => `tanh(clamp(${v}, -15.0, 15.0))`, derivative: (y) => `(1.0 - ${y} * ${y})` },
};

function activationKernels(): Record<string, ElementwiseKernel> {
  const table: Record<string, ElementwiseKernel> = {};
  for (const [act, code] of Object.entries(ACTIVATIONS)) {
    table[`activationForward.${act}`] = {
      bindings: [readOnly('x'), readWrite('out')],
      helpers: code.helpers,
      body: `out[i] = ${code.forward('x[i]')};`,
    };
    for (const accumulate of [false, true]) {
      table[`activationBackward.${act}${accumulate ? '.accumulate' : ''}`] = {
        bindings: [readOnly('saved'), readOnly('dy'), readWrite('dx')],
        helpers: code.helpers,
        body: `dx[i] = ${accumulate ? 'dx[i] + ' : ''}dy[i] * ${code.derivative('saved[i]')};`,
      };
    }
  }
  return table;
}

const DROPOUT_UNIFORMS = { rate: 'f32', scale: 'f32', seed: 'u32' } as const;
const ROW_UNIFORMS = { stride: 'u32', cols: 'u32' } as const;

const TABLE: Record<string, ElementwiseKernel> = {
  add: { bindings: [readOnly('a'), readOnly('b'), readWrite('out')], body: 'out[i] = a[i] + b[i];' },
  addInPlace: {
    bindings: [readOnly('x'), readWrite('dst')], // 'target' is a reserved word in WGSL
    uniforms: { alpha: 'f32' },
    body: 'dst[i] = dst[i] + p.alpha * x[i];',
  },
  ...activationKernels(),
  scaleColumnsForward: {
    bindings: [readOnly('x'), readOnly('scale'), readWrite('out')],
    uniforms: { cols: 'u32' },
    body: 'out[i] = x[i] * scale[i % p.cols];',
  },
  dropoutForward: {
    bindings: [readOnly('x'), readWrite('out')],
    uniforms: DROPOUT_UNIFORMS,
    helpers: WGSL_DROPOUT_HASH,
    body: 'out[i] = select(0.0, x[i] * p.scale, dropout_keep(p.seed, i, p.rate));',
  },
  dropoutBackward: {
    bindings: [readOnly('dy'), readWrite('dx')],
    uniforms: DROPOUT_UNIFORMS,
    helpers: WGSL_DROPOUT_HASH,
    body: 'dx[i] = select(0.0, dy[i] * p.scale, dropout_keep(p.seed, i, p.rate));',
  },
  'dropoutBackward.accumulate': {
    bindings: [readOnly('dy'), readWrite('dx')],
    uniforms: DROPOUT_UNIFORMS,
    helpers: WGSL_DROPOUT_HASH,
    body: 'dx[i] = dx[i] + select(0.0, dy[i] * p.scale, dropout_keep(p.seed, i, p.rate));',
  },
  // One thread per output element [count, cols]; row i of the output is row i*stride of the input.
  gatherRows: {
    bindings: [readOnly('x'), readWrite('out')],
    uniforms: ROW_UNIFORMS,
    body: 'out[i] = x[(i / p.cols) * p.stride * p.cols + i % p.cols];',
  },
  scatterRowsAdd: {
    bindings: [readOnly('dOut'), readWrite('dx')],
    uniforms: ROW_UNIFORMS,
    body: 'let k = (i / p.cols) * p.stride * p.cols + i % p.cols;\n  dx[k] = dx[k] + dOut[i];',
  },
};

/** `op` names a table entry; `threads` is the workgroup size (one thread per element). */
type ElementwiseConstants = { op: string; threads: number };

function tableEntry(op: string): ElementwiseKernel {
  const kernel = TABLE[op];
  if (!kernel) throw new Error(`elementwise: no kernel named ${op}`);
  return kernel;
}

const ELEMENTWISE = defineKernel({
  name: 'elementwise',
  layout: ({ op }: ElementwiseConstants) => {
    const kernel = tableEntry(op);
    return { uniforms: { n: 'u32', ...kernel.uniforms }, storage: kernel.bindings };
  },
  body: ({ op, threads }: ElementwiseConstants) => {
    const kernel = tableEntry(op);
    return /* wgsl */ `${kernel.helpers ?? ''}
${flatIndexMain(threads)}
  if (i >= p.n) { return; }
  ${kernel.body}
}
`;
  },
});

/** Dispatches table entry `op` over n elements; `buffers` must name every binding of the entry. */
function runElementwise(
  ctx: GpuContext,
  op: string,
  buffers: Record<string, Tensor>,
  n: number,
  uniforms: Record<string, number> = {},
): void {
  tableEntry(op);
  if (n === 0) return;
  ELEMENTWISE.dispatch(ctx, { op, threads: WORKGROUP }, { uniforms: { n, ...uniforms }, buffers, workgroups: grid1d(n, WORKGROUP) });
}

/** out = a + b */
export function add(ctx: GpuContext, args: { a: Tensor; b: Tensor; out: Tensor; n: number }): void {
  runElementwise(ctx, 'add', { a: args.a, b: args.b, out: args.out }, args.n);
}

/** target += alpha · x */
export function addInPlace(ctx: GpuContext, args: { target: Tensor; x: Tensor; n: number; alpha?: number }): void {
  runElementwise(ctx, 'addInPlace', { x: args.x, dst: args.target }, args.n, { alpha: args.alpha ?? 1 });
}

export function activationForward(ctx: GpuContext, args: { act: ElementwiseActivation; x: Tensor; out: Tensor; n: number }): void {
  runElementwise(ctx, `activationForward.${args.act}`, { x: args.x, out: args.out }, args.n);
}

/**
 * dx = (accumulate ? dx : 0) + dy · act'(·). gelu and relu take the pre-activation x as `saved`;
 * tanh takes its output y (dx = dy·(1−y²)).
 */
export function activationBackward(
  ctx: GpuContext,
  args: { act: ElementwiseActivation; saved: Tensor; dy: Tensor; dx: Tensor; n: number; accumulate?: boolean },
): void {
  const name = `activationBackward.${args.act}${args.accumulate ? '.accumulate' : ''}`;
  runElementwise(ctx, name, { saved: args.saved, dy: args.dy, dx: args.dx }, args.n);
}

/** out[r,c] = x[r,c] · scale[c];  x, out [rows, cols], scale [cols] (the Light-PEFT FFN mask). */
export function scaleColumnsForward(
  ctx: GpuContext,
  args: { x: Tensor; scale: Tensor; out: Tensor; rows: number; cols: number },
): void {
  runElementwise(ctx, 'scaleColumnsForward', { x: args.x, scale: args.scale, out: args.out }, args.rows * args.cols, {
    cols: args.cols,
  });
}

const COLUMNS_PER_GROUP = 32;
const ROW_LANES = 8; // 32 × 8 = 256 threads: consecutive threads read consecutive columns

const SCALE_COLUMNS_PARAMS = { rows: 'u32', cols: 'u32' } as const;

/** The workgroup: `columns` columns × `lanes` row lanes. */
type ScaleColumnsConstants = { columns: number; lanes: number };

const SCALE_COLUMNS_BACKWARD = defineKernel({
  name: 'scaleColumnsBackward',
  layout: () => ({
    uniforms: SCALE_COLUMNS_PARAMS,
    storage: [
      readOnly('x', 'f32', '[rows, cols]'),
      readOnly('scale', 'f32', '[cols]'),
      readOnly('dy', 'f32', '[rows, cols]'),
      readWrite('dx', 'f32', '[rows, cols]'),
      readWrite('dScale', 'f32', '[cols]'),
    ],
  }),
  body: scaleColumnsBackwardWgsl,
});

/**
 * dx[r,c] = dy[r,c]·scale[c] (overwritten); dScale[c] += Σ_r dy[r,c]·x[r,c] (accumulated).
 * Each workgroup owns 32 columns; its 8 row lanes sum every 8th row, then lane 0 adds the 8 partials.
 */
export function scaleColumnsBackward(
  ctx: GpuContext,
  args: { x: Tensor; scale: Tensor; dy: Tensor; dx: Tensor; dScale: Tensor; rows: number; cols: number },
): void {
  const { rows, cols } = args;
  if (rows === 0 || cols === 0) return;
  const groups = Math.ceil(cols / COLUMNS_PER_GROUP);
  if (groups > MAX_WORKGROUPS_PER_DIM) throw new Error(`scaleColumnsBackward: ${cols} columns is too many`);
  SCALE_COLUMNS_BACKWARD.dispatch(ctx, { columns: COLUMNS_PER_GROUP, lanes: ROW_LANES }, {
    uniforms: { rows, cols },
    buffers: { x: args.x, scale: args.scale, dy: args.dy, dx: args.dx, dScale: args.dScale },
    workgroups: [groups],
  });
}

function scaleColumnsBackwardWgsl({ columns, lanes }: ScaleColumnsConstants): string {
  return /* wgsl */ `${laneSumWgsl({ name: 'lane_sum', type: 'f32', columns, lanes })}

@compute @workgroup_size(${columns}, ${lanes})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let col = wg.x * ${columns}u + lid.x;
  var sum = 0.0;
  if (col < p.cols) {
    let s = scale[col];
    for (var r = lid.y; r < p.rows; r += ${lanes}u) {
      let k = r * p.cols + col;
      let g = dy[k];
      dx[k] = g * s;
      sum += g * x[k];
    }
  }
  let total = lane_sum(sum, lid);
  if (lid.y == 0u && col < p.cols) { dScale[col] = dScale[col] + total; }
}
`;
}

function dropoutUniforms(p: number, seed: number): Record<string, number> {
  if (!(p >= 0 && p <= 1)) throw new Error(`dropout: p must be in [0, 1], got ${p}`);
  // 1/(1-p) as PyTorch does it; p = 1 drops everything (scale 0 keeps the select free of inf·0).
  return { rate: p, scale: p >= 1 ? 0 : 1 / (1 - p), seed: seed >>> 0 };
}

/** Inverted dropout: out = keep(seed, i) ? x/(1-p) : 0. p = 0 is an exact copy. */
export function dropoutForward(ctx: GpuContext, args: { x: Tensor; out: Tensor; n: number; p: number; seed: number }): void {
  runElementwise(ctx, 'dropoutForward', { x: args.x, out: args.out }, args.n, dropoutUniforms(args.p, args.seed));
}

/**
 * dx = (accumulate ? dx : 0) + (keep(seed, i) ? dy/(1-p) : 0), the same mask as the forward with
 * the same seed. Accumulating serves a branch that joins a gradient already there (LoRA, adapters).
 */
export function dropoutBackward(ctx: GpuContext, args: { dy: Tensor; dx: Tensor; n: number; p: number; seed: number; accumulate?: boolean }): void {
  const name = args.accumulate ? 'dropoutBackward.accumulate' : 'dropoutBackward';
  runElementwise(ctx, name, { dy: args.dy, dx: args.dx }, args.n, dropoutUniforms(args.p, args.seed));
}

/** x [count*stride, cols] → out [count, cols]: out[i,:] = x[i*stride,:] (the <s> token of each sequence). */
export function gatherRows(ctx: GpuContext, args: { x: Tensor; out: Tensor; count: number; stride: number; cols: number }): void {
  runElementwise(ctx, 'gatherRows', { x: args.x, out: args.out }, args.count * args.cols, {
    stride: args.stride,
    cols: args.cols,
  });
}

/** dx[i*stride,:] += dOut[i,:] for i < count; other rows untouched. */
export function scatterRowsAdd(
  ctx: GpuContext,
  args: { dOut: Tensor; dx: Tensor; count: number; stride: number; cols: number },
): void {
  runElementwise(ctx, 'scatterRowsAdd', { dOut: args.dOut, dx: args.dx }, args.count * args.cols, {
    stride: args.stride,
    cols: args.cols,
  });
}
