/**
 * LayerNorm over the last dimension (PyTorch semantics: biased variance, eps inside the sqrt).
 * The mean is taken first and the variance from (x − mean)², which stays accurate when
 * |mean| ≫ std. dGamma/dBeta need a sum over rows, done by a second kernel (no float atomics).
 * Two strategies, chosen by the device:
 * - `workgroup` (GPUs): forward and dx run one 256-thread workgroup per row, reducing through
 *   workgroup memory; dGamma/dBeta give each workgroup 32 columns × 8 row lanes.
 * - `serial` (CPU-emulated WebGPU such as SwiftShader): one invocation per row loops over its
 *   columns, and one invocation per column loops over the rows, with no barriers at all.
 */
import type { GpuContext } from '../gpu/context';
import type { Tensor } from '../gpu/buffers';
import { MAX_WORKGROUPS_PER_DIM, flatIndexMain, grid1d, packUniforms, reductionStrategy, uniformStruct, type ReductionStrategy } from './wgsl';

/** Invocations per workgroup for serial kernels, where each invocation owns a whole row or column. */
const SERIAL_THREADS = 64;

const ROW_THREADS = 256;
const COLUMNS_PER_GROUP = 32;
const ROW_LANES = 8; // 32 × 8 = 256 threads; consecutive threads read consecutive columns

const FORWARD_PARAMS = { rows: 'u32', cols: 'u32', eps: 'f32' } as const;
const BACKWARD_PARAMS = { rows: 'u32', cols: 'u32' } as const;

export interface LayerNormForwardArgs {
  x: Tensor; // [rows, cols]
  gamma: Tensor; // [cols]
  beta: Tensor; // [cols]
  out: Tensor; // [rows, cols]
  /** [rows], saved for the backward. */
  mean: Tensor;
  /** [rows], 1/sqrt(var + eps), saved for the backward. */
  rstd: Tensor;
  rows: number;
  cols: number;
  eps: number;
  /** Overrides the device's choice (tests exercise both on every machine). */
  strategy?: ReductionStrategy;
}

export interface LayerNormBackwardArgs {
  dy: Tensor; // [rows, cols]
  x: Tensor; // [rows, cols]
  gamma: Tensor; // [cols]
  mean: Tensor; // [rows]
  rstd: Tensor; // [rows]
  /** [rows, cols], overwritten. */
  dx: Tensor;
  rows: number;
  cols: number;
  /** [cols], accumulated when given (frozen LayerNorms pass neither). */
  dGamma?: Tensor;
  dBeta?: Tensor;
  /** Overrides the device's choice (tests exercise both on every machine). */
  strategy?: ReductionStrategy;
}

/**
 * How a row kernel walks its row, so forward and dx share one body per strategy: the entry
 * header (defines `row`, `base`), the column loop, the row-wide sum of per-invocation partials,
 * and the condition for the invocation that writes per-row results.
 */
interface RowWalk {
  helpers: string;
  main: string;
  columns: string;
  rowSum: (partial: string) => string;
  leader: string;
}

const WORKGROUP_ROW_WALK: RowWalk = {
  helpers: workgroupSumWgsl(ROW_THREADS),
  // One workgroup per row (rows folded into 2D past 65535).
  main: /* wgsl */ `
@compute @workgroup_size(${ROW_THREADS})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let row = wg.x + wg.y * nwg.x;
  if (row >= p.rows) { return; }
  let base = row * p.cols;`,
  columns: `for (var c = lid; c < p.cols; c += ${ROW_THREADS}u)`,
  rowSum: (partial) => `workgroup_sum(${partial}, lid)`,
  leader: 'lid == 0u',
};

const SERIAL_ROW_WALK: RowWalk = {
  helpers: '',
  main: /* wgsl */ `
${flatIndexMain(SERIAL_THREADS)}
  let row = i;
  if (row >= p.rows) { return; }
  let base = row * p.cols;`,
  columns: 'for (var c = 0u; c < p.cols; c++)',
  rowSum: (partial) => partial,
  leader: 'true',
};

function rowWalk(strategy: ReductionStrategy): RowWalk {
  return strategy === 'workgroup' ? WORKGROUP_ROW_WALK : SERIAL_ROW_WALK;
}

function rowGrid(strategy: ReductionStrategy, rows: number): [number, number, number] {
  return strategy === 'workgroup' ? grid1d(rows, 1) : grid1d(rows, SERIAL_THREADS);
}

/** `workgroup_sum(v, lid)`: the sum of v over the workgroup, returned to every thread. Call in uniform control flow. */
function workgroupSumWgsl(threads: number): string {
  return /* wgsl */ `
var<workgroup> scratch: array<f32, ${threads}>;
fn workgroup_sum(v: f32, lid: u32) -> f32 {
  scratch[lid] = v;
  workgroupBarrier();
  for (var stride = ${threads / 2}u; stride > 0u; stride >>= 1u) {
    if (lid < stride) { scratch[lid] += scratch[lid + stride]; }
    workgroupBarrier();
  }
  let total = scratch[0];
  workgroupBarrier(); // everyone has read the total before scratch is reused
  return total;
}`;
}

export function layerNormForward(ctx: GpuContext, args: LayerNormForwardArgs): void {
  const { rows, cols, eps } = args;
  if (rows === 0) return;
  const strategy = reductionStrategy(ctx, args.strategy);
  ctx.dispatch({
    key: `layerNormForward:${strategy}:${strategy === 'workgroup' ? ROW_THREADS : SERIAL_THREADS}`,
    code: () => layerNormForwardWgsl(rowWalk(strategy)),
    uniforms: packUniforms(FORWARD_PARAMS, { rows, cols, eps }),
    buffers: [args.x, args.gamma, args.beta, args.out, args.mean, args.rstd],
    workgroups: rowGrid(strategy, rows),
  });
}

function layerNormForwardWgsl(walk: RowWalk): string {
  return /* wgsl */ `
${uniformStruct(FORWARD_PARAMS)}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;     // [rows, cols]
@group(0) @binding(2) var<storage, read> gamma: array<f32>; // [cols]
@group(0) @binding(3) var<storage, read> beta: array<f32>;  // [cols]
@group(0) @binding(4) var<storage, read_write> out: array<f32>;   // [rows, cols]
@group(0) @binding(5) var<storage, read_write> meanOut: array<f32>; // [rows]
@group(0) @binding(6) var<storage, read_write> rstdOut: array<f32>; // [rows]
${walk.helpers}
${walk.main}
  let n = f32(p.cols);
  var sum = 0.0;
  ${walk.columns} { sum += x[base + c]; }
  let mean = ${walk.rowSum('sum')} / n;
  var squares = 0.0;
  ${walk.columns} {
    let d = x[base + c] - mean;
    squares += d * d;
  }
  let rstd = 1.0 / sqrt(${walk.rowSum('squares')} / n + p.eps);
  ${walk.columns} {
    out[base + c] = (x[base + c] - mean) * rstd * gamma[c] + beta[c];
  }
  if (${walk.leader}) {
    meanOut[row] = mean;
    rstdOut[row] = rstd;
  }
}
`;
}

export function layerNormBackward(ctx: GpuContext, args: LayerNormBackwardArgs): void {
  const { rows, cols } = args;
  if (rows === 0 || cols === 0) return;
  const strategy = reductionStrategy(ctx, args.strategy);
  const uniforms = packUniforms(BACKWARD_PARAMS, { rows, cols });
  ctx.dispatch({
    key: `layerNormBackward:dx:${strategy}:${strategy === 'workgroup' ? ROW_THREADS : SERIAL_THREADS}`,
    code: () => layerNormBackwardDxWgsl(rowWalk(strategy)),
    uniforms,
    buffers: [args.dy, args.x, args.gamma, args.mean, args.rstd, args.dx],
    workgroups: rowGrid(strategy, rows),
  });
  if (!args.dGamma && !args.dBeta) return;
  const hasGamma = args.dGamma !== undefined;
  const hasBeta = args.dBeta !== undefined;
  const buffers = [args.dy];
  if (args.dGamma) buffers.push(args.x, args.mean, args.rstd, args.dGamma);
  if (args.dBeta) buffers.push(args.dBeta);
  if (strategy === 'serial') {
    ctx.dispatch({
      key: `layerNormBackward:params:${+hasGamma}${+hasBeta}:serial:${SERIAL_THREADS}`,
      code: () => layerNormParamGradSerialWgsl(hasGamma, hasBeta),
      uniforms,
      buffers,
      workgroups: grid1d(cols, SERIAL_THREADS),
    });
    return;
  }
  const groups = Math.ceil(cols / COLUMNS_PER_GROUP);
  if (groups > MAX_WORKGROUPS_PER_DIM) throw new Error(`layerNormBackward: ${cols} columns is too many`);
  ctx.dispatch({
    key: `layerNormBackward:params:${+hasGamma}${+hasBeta}:${COLUMNS_PER_GROUP}x${ROW_LANES}`,
    code: () => layerNormParamGradWgsl(hasGamma, hasBeta),
    uniforms,
    buffers,
    workgroups: [groups],
  });
}

function layerNormBackwardDxWgsl(walk: RowWalk): string {
  return /* wgsl */ `
${uniformStruct(BACKWARD_PARAMS)}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> dy: array<f32>;    // [rows, cols]
@group(0) @binding(2) var<storage, read> x: array<f32>;     // [rows, cols]
@group(0) @binding(3) var<storage, read> gamma: array<f32>; // [cols]
@group(0) @binding(4) var<storage, read> meanIn: array<f32>; // [rows]
@group(0) @binding(5) var<storage, read> rstdIn: array<f32>; // [rows]
@group(0) @binding(6) var<storage, read_write> dx: array<f32>; // [rows, cols]
${walk.helpers}
${walk.main}
  let n = f32(p.cols);
  let mean = meanIn[row];
  let rstd = rstdIn[row];
  var sumG = 0.0;  // Σ dy·gamma
  var sumGX = 0.0; // Σ dy·gamma·x̂
  ${walk.columns} {
    let g = dy[base + c] * gamma[c];
    sumG += g;
    sumGX += g * (x[base + c] - mean) * rstd;
  }
  let meanG = ${walk.rowSum('sumG')} / n;
  let meanGX = ${walk.rowSum('sumGX')} / n;
  ${walk.columns} {
    let xhat = (x[base + c] - mean) * rstd;
    dx[base + c] = rstd * (dy[base + c] * gamma[c] - meanG - xhat * meanGX);
  }
}
`;
}

function paramGradBindings(hasGamma: boolean, hasBeta: boolean): string {
  const bindings = ['@group(0) @binding(1) var<storage, read> dy: array<f32>; // [rows, cols]'];
  let next = 2;
  if (hasGamma) {
    bindings.push(
      `@group(0) @binding(${next++}) var<storage, read> x: array<f32>; // [rows, cols]`,
      `@group(0) @binding(${next++}) var<storage, read> meanIn: array<f32>; // [rows]`,
      `@group(0) @binding(${next++}) var<storage, read> rstdIn: array<f32>; // [rows]`,
      `@group(0) @binding(${next++}) var<storage, read_write> dGamma: array<f32>; // [cols]`,
    );
  }
  if (hasBeta) bindings.push(`@group(0) @binding(${next++}) var<storage, read_write> dBeta: array<f32>; // [cols]`);
  return `${uniformStruct(BACKWARD_PARAMS)}
@group(0) @binding(0) var<uniform> p: Params;
${bindings.join('\n')}`;
}

/** dGamma[c] += Σ_r dy·x̂, dBeta[c] += Σ_r dy: 8 row lanes per column, then lane 0 adds the partials. */
function layerNormParamGradWgsl(hasGamma: boolean, hasBeta: boolean): string {
  const size = COLUMNS_PER_GROUP * ROW_LANES;
  return /* wgsl */ `
${paramGradBindings(hasGamma, hasBeta)}

var<workgroup> partialGamma: array<f32, ${size}>; // [lane][column]
var<workgroup> partialBeta: array<f32, ${size}>;

@compute @workgroup_size(${COLUMNS_PER_GROUP}, ${ROW_LANES})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let col = wg.x * ${COLUMNS_PER_GROUP}u + lid.x;
  var sumGamma = 0.0;
  var sumBeta = 0.0;
  if (col < p.cols) {
    for (var r = lid.y; r < p.rows; r += ${ROW_LANES}u) {
      let k = r * p.cols + col;
      let g = dy[k];
      ${hasGamma ? 'sumGamma += g * (x[k] - meanIn[r]) * rstdIn[r];' : ''}
      sumBeta += g;
    }
  }
  let slot = lid.y * ${COLUMNS_PER_GROUP}u + lid.x;
  partialGamma[slot] = sumGamma;
  partialBeta[slot] = sumBeta;
  workgroupBarrier();
  if (lid.y == 0u && col < p.cols) {
    var totalGamma = 0.0;
    var totalBeta = 0.0;
    for (var lane = 0u; lane < ${ROW_LANES}u; lane++) {
      totalGamma += partialGamma[lane * ${COLUMNS_PER_GROUP}u + lid.x];
      totalBeta += partialBeta[lane * ${COLUMNS_PER_GROUP}u + lid.x];
    }
    ${hasGamma ? 'dGamma[col] = dGamma[col] + totalGamma;' : ''}
    ${hasBeta ? 'dBeta[col] = dBeta[col] + totalBeta;' : ''}
  }
}
`;
}

/** Serial twin: one invocation per column loops over every row (consecutive invocations read consecutive columns). */
function layerNormParamGradSerialWgsl(hasGamma: boolean, hasBeta: boolean): string {
  return /* wgsl */ `
${paramGradBindings(hasGamma, hasBeta)}

${flatIndexMain(SERIAL_THREADS)}
  let col = i;
  if (col >= p.cols) { return; }
  var sumGamma = 0.0;
  var sumBeta = 0.0;
  for (var r = 0u; r < p.rows; r++) {
    let k = r * p.cols + col;
    let g = dy[k];
    ${hasGamma ? 'sumGamma += g * (x[k] - meanIn[r]) * rstdIn[r];' : ''}
    sumBeta += g;
  }
  ${hasGamma ? 'dGamma[col] = dGamma[col] + sumGamma;' : ''}
  ${hasBeta ? 'dBeta[col] = dBeta[col] + sumBeta;' : ''}
}
`;
}
