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
import { MAX_WORKGROUPS_PER_DIM, flatIndexMain, grid1d, reductionStrategy, type ReductionStrategy } from './wgsl';
import { defineKernel, readOnly, readWrite } from './kernel';
import { laneSumWgsl, treeReductionWgsl } from './wgsl-reduce';

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

/** Compile-time constants of the row kernels (forward and dx): the strategy and its workgroup size. */
type RowConstants = { strategy: ReductionStrategy; threads: number };

function rowConstants(strategy: ReductionStrategy): RowConstants {
  return { strategy, threads: strategy === 'workgroup' ? ROW_THREADS : SERIAL_THREADS };
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

function rowWalk({ strategy, threads }: RowConstants): RowWalk {
  if (strategy === 'serial') {
    return {
      helpers: '',
      main: /* wgsl */ `
${flatIndexMain(threads)}
  let row = i;
  if (row >= p.rows) { return; }
  let base = row * p.cols;`,
      columns: 'for (var c = 0u; c < p.cols; c++)',
      rowSum: (partial) => partial,
      leader: 'true',
    };
  }
  return {
    helpers: treeReductionWgsl({ name: 'workgroup_sum', op: 'sum', type: 'f32', threads }),
    // One workgroup per row (rows folded into 2D past 65535).
    main: /* wgsl */ `
@compute @workgroup_size(${threads})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let row = wg.x + wg.y * nwg.x;
  if (row >= p.rows) { return; }
  let base = row * p.cols;`,
    columns: `for (var c = lid; c < p.cols; c += ${threads}u)`,
    rowSum: (partial) => `workgroup_sum(${partial}, lid)`,
    leader: 'lid == 0u',
  };
}

function rowGrid(strategy: ReductionStrategy, rows: number): [number, number, number] {
  return strategy === 'workgroup' ? grid1d(rows, 1) : grid1d(rows, SERIAL_THREADS);
}

const FORWARD = defineKernel({
  name: 'layerNorm.forward',
  layout: () => ({
    uniforms: FORWARD_PARAMS,
    storage: [
      readOnly('x', 'f32', '[rows, cols]'),
      readOnly('gamma', 'f32', '[cols]'),
      readOnly('beta', 'f32', '[cols]'),
      readWrite('out', 'f32', '[rows, cols]'),
      readWrite('meanOut', 'f32', '[rows]'),
      readWrite('rstdOut', 'f32', '[rows]'),
    ],
  }),
  body: (c: RowConstants) => layerNormForwardWgsl(rowWalk(c)),
});

export function layerNormForward(ctx: GpuContext, args: LayerNormForwardArgs): void {
  const { rows, cols, eps } = args;
  if (rows === 0) return;
  const strategy = reductionStrategy(ctx, args.strategy);
  FORWARD.dispatch(ctx, rowConstants(strategy), {
    uniforms: { rows, cols, eps },
    buffers: { x: args.x, gamma: args.gamma, beta: args.beta, out: args.out, meanOut: args.mean, rstdOut: args.rstd },
    workgroups: rowGrid(strategy, rows),
  });
}

function layerNormForwardWgsl(walk: RowWalk): string {
  return /* wgsl */ `${walk.helpers}
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

const BACKWARD_DX = defineKernel({
  name: 'layerNorm.backward.dx',
  layout: () => ({
    uniforms: BACKWARD_PARAMS,
    storage: [
      readOnly('dy', 'f32', '[rows, cols]'),
      readOnly('x', 'f32', '[rows, cols]'),
      readOnly('gamma', 'f32', '[cols]'),
      readOnly('meanIn', 'f32', '[rows]'),
      readOnly('rstdIn', 'f32', '[rows]'),
      readWrite('dx', 'f32', '[rows, cols]'),
    ],
  }),
  body: (c: RowConstants) => layerNormBackwardDxWgsl(rowWalk(c)),
});

/** dGamma/dBeta kernels: which of the two are accumulated, and the workgroup shape. */
type ParamGradConstants = { hasGamma: boolean; hasBeta: boolean; columns: number; lanes: number };
type ParamGradSerialConstants = { hasGamma: boolean; hasBeta: boolean; threads: number };

function paramGradLayout({ hasGamma, hasBeta }: { hasGamma: boolean; hasBeta: boolean }) {
  return {
    uniforms: BACKWARD_PARAMS,
    storage: [
      readOnly('dy', 'f32', '[rows, cols]'),
      ...(hasGamma
        ? [readOnly('x', 'f32', '[rows, cols]'), readOnly('meanIn', 'f32', '[rows]'), readOnly('rstdIn', 'f32', '[rows]'), readWrite('dGamma', 'f32', '[cols]')]
        : []),
      ...(hasBeta ? [readWrite('dBeta', 'f32', '[cols]')] : []),
    ],
  };
}

const PARAM_GRAD = defineKernel({
  name: 'layerNorm.backward.params',
  layout: paramGradLayout,
  body: (c: ParamGradConstants) => layerNormParamGradWgsl(c),
});

const PARAM_GRAD_SERIAL = defineKernel({
  name: 'layerNorm.backward.params.serial',
  layout: paramGradLayout,
  body: (c: ParamGradSerialConstants) => layerNormParamGradSerialWgsl(c),
});

export function layerNormBackward(ctx: GpuContext, args: LayerNormBackwardArgs): void {
  const { rows, cols } = args;
  if (rows === 0 || cols === 0) return;
  const strategy = reductionStrategy(ctx, args.strategy);
  const uniforms = { rows, cols };
  BACKWARD_DX.dispatch(ctx, rowConstants(strategy), {
    uniforms,
    buffers: { dy: args.dy, x: args.x, gamma: args.gamma, meanIn: args.mean, rstdIn: args.rstd, dx: args.dx },
    workgroups: rowGrid(strategy, rows),
  });
  if (!args.dGamma && !args.dBeta) return;
  const hasGamma = args.dGamma !== undefined;
  const hasBeta = args.dBeta !== undefined;
  const buffers: Record<string, Tensor> = { dy: args.dy };
  if (args.dGamma) Object.assign(buffers, { x: args.x, meanIn: args.mean, rstdIn: args.rstd, dGamma: args.dGamma });
  if (args.dBeta) buffers.dBeta = args.dBeta;
  if (strategy === 'serial') {
    PARAM_GRAD_SERIAL.dispatch(ctx, { hasGamma, hasBeta, threads: SERIAL_THREADS }, { uniforms, buffers, workgroups: grid1d(cols, SERIAL_THREADS) });
    return;
  }
  const groups = Math.ceil(cols / COLUMNS_PER_GROUP);
  if (groups > MAX_WORKGROUPS_PER_DIM) throw new Error(`layerNormBackward: ${cols} columns is too many`);
  PARAM_GRAD.dispatch(ctx, { hasGamma, hasBeta, columns: COLUMNS_PER_GROUP, lanes: ROW_LANES }, { uniforms, buffers, workgroups: [groups] });
}

function layerNormBackwardDxWgsl(walk: RowWalk): string {
  return /* wgsl */ `${walk.helpers}
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

/**
 * dGamma[c] += Σ_r dy·x̂, dBeta[c] += Σ_r dy: `lanes` row lanes per column, then lane 0 adds the
 * partials (as a vec2: (Σ dy·x̂, Σ dy)).
 */
function layerNormParamGradWgsl({ hasGamma, hasBeta, columns, lanes }: ParamGradConstants): string {
  return /* wgsl */ `${laneSumWgsl({ name: 'lane_sum', type: 'vec2<f32>', columns, lanes })}

@compute @workgroup_size(${columns}, ${lanes})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let col = wg.x * ${columns}u + lid.x;
  var sumGamma = 0.0;
  var sumBeta = 0.0;
  if (col < p.cols) {
    for (var r = lid.y; r < p.rows; r += ${lanes}u) {
      let k = r * p.cols + col;
      let g = dy[k];
      ${hasGamma ? 'sumGamma += g * (x[k] - meanIn[r]) * rstdIn[r];' : ''}
      sumBeta += g;
    }
  }
  let total = lane_sum(vec2<f32>(sumGamma, sumBeta), lid);
  if (lid.y == 0u && col < p.cols) {
    ${hasGamma ? 'dGamma[col] = dGamma[col] + total.x;' : ''}
    ${hasBeta ? 'dBeta[col] = dBeta[col] + total.y;' : ''}
  }
}
`;
}

/** Serial twin: one invocation per column loops over every row (consecutive invocations read consecutive columns). */
function layerNormParamGradSerialWgsl({ hasGamma, hasBeta, threads }: ParamGradSerialConstants): string {
  return /* wgsl */ `
${flatIndexMain(threads)}
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
