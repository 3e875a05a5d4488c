/**
 * LayerNorm over the last dimension (PyTorch semantics: biased variance, eps inside the sqrt).
 * Forward and the dx backward run one workgroup per row, reducing through workgroup memory; the
 * mean is taken first and the variance from (x − mean)², which stays accurate when |mean| ≫ std.
 * dGamma/dBeta need a sum over rows, so a second kernel gives each workgroup 32 columns and
 * loops over the rows (no float atomics in WGSL).
 */
import type { GpuContext } from '../engine/gpu/context';
import type { Tensor } from '../engine/gpu/buffers';
import { MAX_WORKGROUPS_PER_DIM, grid1d, packUniforms, uniformStruct } from './wgsl';

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

/** Entry header for one workgroup per row (rows folded into 2D past 65535); defines `row` and `lid`. */
const ROW_MAIN = /* wgsl */ `
@compute @workgroup_size(${ROW_THREADS})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let row = wg.x + wg.y * nwg.x;
  if (row >= p.rows) { return; }
  let base = row * p.cols;`;

export function layerNormForward(ctx: GpuContext, args: LayerNormForwardArgs): void {
  const { rows, cols, eps } = args;
  if (rows === 0) return;
  ctx.dispatch({
    key: `layerNormForward:${ROW_THREADS}`,
    code: layerNormForwardWgsl,
    uniforms: packUniforms(FORWARD_PARAMS, { rows, cols, eps }),
    buffers: [args.x, args.gamma, args.beta, args.out, args.mean, args.rstd],
    workgroups: grid1d(rows, 1),
  });
}

function layerNormForwardWgsl(): string {
  return /* wgsl */ `
${uniformStruct(FORWARD_PARAMS)}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;     // [rows, cols]
@group(0) @binding(2) var<storage, read> gamma: array<f32>; // [cols]
@group(0) @binding(3) var<storage, read> beta: array<f32>;  // [cols]
@group(0) @binding(4) var<storage, read_write> out: array<f32>;   // [rows, cols]
@group(0) @binding(5) var<storage, read_write> meanOut: array<f32>; // [rows]
@group(0) @binding(6) var<storage, read_write> rstdOut: array<f32>; // [rows]
${workgroupSumWgsl(ROW_THREADS)}
${ROW_MAIN}
  let n = f32(p.cols);
  var sum = 0.0;
  for (var c = lid; c < p.cols; c += ${ROW_THREADS}u) { sum += x[base + c]; }
  let mean = workgroup_sum(sum, lid) / n;
  var squares = 0.0;
  for (var c = lid; c < p.cols; c += ${ROW_THREADS}u) {
    let d = x[base + c] - mean;
    squares += d * d;
  }
  let rstd = 1.0 / sqrt(workgroup_sum(squares, lid) / n + p.eps);
  for (var c = lid; c < p.cols; c += ${ROW_THREADS}u) {
    out[base + c] = (x[base + c] - mean) * rstd * gamma[c] + beta[c];
  }
  if (lid == 0u) {
    meanOut[row] = mean;
    rstdOut[row] = rstd;
  }
}
`;
}

export function layerNormBackward(ctx: GpuContext, args: LayerNormBackwardArgs): void {
  const { rows, cols } = args;
  if (rows === 0 || cols === 0) return;
  const uniforms = packUniforms(BACKWARD_PARAMS, { rows, cols });
  ctx.dispatch({
    key: `layerNormBackward:dx:${ROW_THREADS}`,
    code: layerNormBackwardDxWgsl,
    uniforms,
    buffers: [args.dy, args.x, args.gamma, args.mean, args.rstd, args.dx],
    workgroups: grid1d(rows, 1),
  });
  if (!args.dGamma && !args.dBeta) return;
  const groups = Math.ceil(cols / COLUMNS_PER_GROUP);
  if (groups > MAX_WORKGROUPS_PER_DIM) throw new Error(`layerNormBackward: ${cols} columns is too many`);
  const hasGamma = args.dGamma !== undefined;
  const hasBeta = args.dBeta !== undefined;
  const buffers = [args.dy];
  if (args.dGamma) buffers.push(args.x, args.mean, args.rstd, args.dGamma);
  if (args.dBeta) buffers.push(args.dBeta);
  ctx.dispatch({
    key: `layerNormBackward:params:${+hasGamma}${+hasBeta}:${COLUMNS_PER_GROUP}x${ROW_LANES}`,
    code: () => layerNormParamGradWgsl(hasGamma, hasBeta),
    uniforms,
    buffers,
    workgroups: [groups],
  });
}

function layerNormBackwardDxWgsl(): string {
  return /* wgsl */ `
${uniformStruct(BACKWARD_PARAMS)}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> dy: array<f32>;    // [rows, cols]
@group(0) @binding(2) var<storage, read> x: array<f32>;     // [rows, cols]
@group(0) @binding(3) var<storage, read> gamma: array<f32>; // [cols]
@group(0) @binding(4) var<storage, read> meanIn: array<f32>; // [rows]
@group(0) @binding(5) var<storage, read> rstdIn: array<f32>; // [rows]
@group(0) @binding(6) var<storage, read_write> dx: array<f32>; // [rows, cols]
${workgroupSumWgsl(ROW_THREADS)}
${ROW_MAIN}
  let n = f32(p.cols);
  let mean = meanIn[row];
  let rstd = rstdIn[row];
  var sumG = 0.0;  // Σ dy·gamma
  var sumGX = 0.0; // Σ dy·gamma·x̂
  for (var c = lid; c < p.cols; c += ${ROW_THREADS}u) {
    let g = dy[base + c] * gamma[c];
    sumG += g;
    sumGX += g * (x[base + c] - mean) * rstd;
  }
  let meanG = workgroup_sum(sumG, lid) / n;
  let meanGX = workgroup_sum(sumGX, lid) / n;
  for (var c = lid; c < p.cols; c += ${ROW_THREADS}u) {
    let xhat = (x[base + c] - mean) * rstd;
    dx[base + c] = rstd * (dy[base + c] * gamma[c] - meanG - xhat * meanGX);
  }
}
`;
}

/** dGamma[c] += Σ_r dy·x̂, dBeta[c] += Σ_r dy: 8 row lanes per column, then lane 0 adds the partials. */
function layerNormParamGradWgsl(hasGamma: boolean, hasBeta: boolean): string {
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
  const size = COLUMNS_PER_GROUP * ROW_LANES;
  return /* wgsl */ `
${uniformStruct(BACKWARD_PARAMS)}
@group(0) @binding(0) var<uniform> p: Params;
${bindings.join('\n')}

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
