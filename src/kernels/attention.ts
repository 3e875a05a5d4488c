/**
 * Multi-head scaled dot-product attention with a key padding mask, a Light-PEFT head mask and
 * attention-probability dropout, forward and backward.
 *
 *   S = Q_h K_hᵀ / √d (padding keys excluded)   P = softmax(S)   P' = m_h · D(P)   O_h = P' V_h
 *
 * D is dropout: keep/(1−p), with a stateless hash of (seed, flat index into probs) deciding
 * "keep", so the backward pass regenerates the forward's keep-mask without storing it.
 *
 * Two strategies, chosen by the device:
 * - `workgroup` (GPUs). Forward: one workgroup per score row (b,h,i) computes scores and softmax
 *   into `probs` with workgroup-memory reductions, then one thread per context element sums over
 *   keys. Backward: one workgroup per row computes dS into a temporary [B,H,T,T] (and that row's
 *   share of dm_h), then one thread per dQ element, one thread per (dK, dV) element pair, and one
 *   workgroup per head to reduce the dm_h shares.
 * - `serial` (CPU-emulated WebGPU such as SwiftShader, where barriers are slow and so is every
 *   storage load): the same passes without barriers, each invocation owning a register block,
 *   like matmul's `registers` strategy. Scores: 4 query rows (each invocation loops over all
 *   keys, 4 at a time, then normalises its own rows). Context, dQ and dK/dV: 4 rows (queries or
 *   keys) × 8 head dimensions. dm_h: one invocation per head. Measured on SwiftShader
 *   (B=16, T=128, H=4, d=64): forward 2.8 s → 0.24 s, backward 3.5 s → 0.43 s.
 * Q, K, V, O: [B*T, H*d] (head h in columns h*d..(h+1)*d), probs: [B,H,T,T].
 */
import type { GpuContext } from '../engine/gpu/context';
import type { Tensor } from '../engine/gpu/buffers';
import { flatIndexMain, grid1d, packUniforms, uniformStruct, reductionStrategy, type ReductionStrategy } from './wgsl';
import { WGSL_DROPOUT_HASH } from './elementwise';

const ROW_THREADS = 128; // one workgroup per score row; threads stride over keys
const FLAT_THREADS = 128;
// Serial strategy: invocations per workgroup, and each invocation's register block.
const SERIAL_THREADS = 64;
const ROW_BLOCK = 4; // query rows (or keys, for dK/dV) per invocation; per-row state is a vec4
const KEY_BLOCK = 4; // keys per step of the score loop: one vec4 per query row
const COLUMN_BLOCK = 8; // head dimensions per invocation: two vec4 per row

const PARAMS = {
  batch: 'u32',
  seqLen: 'u32',
  heads: 'u32',
  headDim: 'u32',
  seed: 'u32',
  dropP: 'f32',
  dropScale: 'f32',
  invSqrtD: 'f32',
} as const;

export interface AttentionShape {
  batch: number;
  seqLen: number;
  heads: number;
  headDim: number;
}

export interface AttentionDropout {
  /** Probability of dropping an attention probability, in [0, 1). */
  p: number;
  /** Any u32; the same seed must be passed to the backward pass. */
  seed: number;
}

export interface AttentionForwardArgs extends AttentionShape {
  q: Tensor; // [B*T, H*d]
  k: Tensor; // [B*T, H*d]
  v: Tensor; // [B*T, H*d]
  /** [B*T]: 1 for a real token, 0 for padding (excluded as a key). */
  attnMask: Tensor;
  /** [H]: Light-PEFT head mask, multiplies each head's attention probabilities. */
  headMask: Tensor;
  /** [B,H,T,T] output: softmax before head mask and dropout (saved for backward). */
  probs: Tensor;
  /** [B*T, H*d] output. */
  out: Tensor;
  dropout?: AttentionDropout;
  /** Overrides the device's choice (tests exercise both on every machine). */
  strategy?: ReductionStrategy;
}

export interface AttentionBackwardArgs extends AttentionShape {
  dOut: Tensor; // [B*T, H*d]
  q: Tensor;
  k: Tensor;
  v: Tensor;
  /** Not read: padding keys already have probability 0, hence zero dS. Kept for symmetry. */
  attnMask: Tensor;
  headMask: Tensor; // [H]
  probs: Tensor; // [B,H,T,T] from the forward
  /** Overwritten, [B*T, H*d]. */
  dQ: Tensor;
  dK: Tensor;
  dV: Tensor;
  /** [H], accumulated (+=). */
  dHeadMask: Tensor;
  dropout?: AttentionDropout;
  /** Overrides the device's choice (tests exercise both on every machine). */
  strategy?: ReductionStrategy;
}

export function attentionForward(ctx: GpuContext, args: AttentionForwardArgs): void {
  checkShapes(args, { q: args.q, k: args.k, v: args.v, out: args.out }, args.probs, args.attnMask, args.headMask);
  const uniforms = attentionUniforms(args, args.dropout);
  const dropout = hasDropout(args.dropout);
  const rows = args.batch * args.heads * args.seqLen;
  if (reductionStrategy(ctx, args.strategy) === 'serial') {
    const { rowBlocks, rowColumnBlocks } = serialGrids(args);
    ctx.dispatch({
      key: 'attention.forward.softmax:serial',
      code: softmaxSerialWgsl,
      uniforms,
      buffers: [args.q, args.k, args.attnMask, args.probs],
      workgroups: rowBlocks,
    });
    ctx.dispatch({
      key: `attention.forward.context:${+dropout}:serial`,
      code: () => keySumSerialWgsl('context', dropout),
      uniforms,
      buffers: [args.probs, args.v, args.headMask, args.out],
      workgroups: rowColumnBlocks,
    });
    return;
  }
  ctx.dispatch({
    key: 'attention.forward.softmax',
    code: softmaxWgsl,
    uniforms,
    buffers: [args.q, args.k, args.attnMask, args.probs],
    workgroups: grid1d(rows, 1),
  });
  ctx.dispatch({
    key: `attention.forward.context:${+dropout}`,
    code: () => contextWgsl(dropout),
    uniforms,
    buffers: [args.probs, args.v, args.headMask, args.out],
    workgroups: grid1d(rows * args.headDim, FLAT_THREADS),
  });
}

export function attentionBackward(ctx: GpuContext, args: AttentionBackwardArgs): void {
  const { batch, seqLen, heads } = args;
  const grads = { dOut: args.dOut, q: args.q, k: args.k, v: args.v, dQ: args.dQ, dK: args.dK, dV: args.dV };
  checkShapes(args, grads, args.probs, args.attnMask, args.headMask);
  if (args.dHeadMask.size !== heads) throw new Error(`attentionBackward: dHeadMask has ${args.dHeadMask.size} values, expected ${heads}`);
  const uniforms = attentionUniforms(args, args.dropout);
  const dropout = hasDropout(args.dropout);
  const dScores = ctx.empty([batch, heads, seqLen, seqLen], 'f32', 'attention dScores');
  const rowHeadGrad = ctx.empty([batch, heads, seqLen], 'f32', 'attention dHeadMask partials');
  if (reductionStrategy(ctx, args.strategy) === 'serial') {
    attentionBackwardSerial(ctx, args, uniforms, dropout, dScores, rowHeadGrad);
  } else {
    attentionBackwardWorkgroup(ctx, args, uniforms, dropout, dScores, rowHeadGrad);
  }
  // Later work that reuses these buffers is recorded after, so it runs after these reads.
  dScores.dispose();
  rowHeadGrad.dispose();
}

function attentionBackwardWorkgroup(
  ctx: GpuContext,
  args: AttentionBackwardArgs,
  uniforms: ArrayBuffer,
  dropout: boolean,
  dScores: Tensor,
  rowHeadGrad: Tensor,
): void {
  const { batch, seqLen, heads, headDim } = args;
  const rows = batch * heads * seqLen;
  ctx.dispatch({
    key: `attention.backward.scores:${+dropout}`,
    code: () => scoresBackwardWgsl(dropout),
    uniforms,
    buffers: [args.dOut, args.v, args.probs, args.headMask, dScores, rowHeadGrad],
    workgroups: grid1d(rows, 1),
  });
  ctx.dispatch({
    key: 'attention.backward.dq',
    code: dqWgsl,
    uniforms,
    buffers: [dScores, args.k, args.dQ],
    workgroups: grid1d(rows * headDim, FLAT_THREADS),
  });
  ctx.dispatch({
    key: `attention.backward.dkv:${+dropout}`,
    code: () => dkvWgsl(dropout),
    uniforms,
    buffers: [dScores, args.q, args.probs, args.dOut, args.headMask, args.dK, args.dV],
    workgroups: grid1d(rows * headDim, FLAT_THREADS),
  });
  ctx.dispatch({
    key: 'attention.backward.headmask',
    code: headMaskReduceWgsl,
    uniforms,
    buffers: [rowHeadGrad, args.dHeadMask],
    workgroups: [heads, 1, 1],
  });
}

function attentionBackwardSerial(
  ctx: GpuContext,
  args: AttentionBackwardArgs,
  uniforms: ArrayBuffer,
  dropout: boolean,
  dScores: Tensor,
  rowHeadGrad: Tensor,
): void {
  const { rowBlocks, rowColumnBlocks } = serialGrids(args);
  ctx.dispatch({
    key: `attention.backward.scores:${+dropout}:serial`,
    code: () => scoresBackwardSerialWgsl(dropout),
    uniforms,
    buffers: [args.dOut, args.v, args.probs, args.headMask, dScores, rowHeadGrad],
    workgroups: rowBlocks,
  });
  ctx.dispatch({
    key: 'attention.backward.dq:serial',
    code: () => keySumSerialWgsl('dq', false),
    uniforms,
    buffers: [dScores, args.k, args.dQ],
    workgroups: rowColumnBlocks,
  });
  ctx.dispatch({
    key: `attention.backward.dkv:${+dropout}:serial`,
    code: () => dkvSerialWgsl(dropout),
    uniforms,
    buffers: [dScores, args.q, args.probs, args.dOut, args.headMask, args.dK, args.dV],
    workgroups: rowColumnBlocks,
  });
  ctx.dispatch({
    key: 'attention.backward.headmask:serial',
    code: headMaskReduceSerialWgsl,
    uniforms,
    buffers: [rowHeadGrad, args.dHeadMask],
    workgroups: grid1d(args.heads, SERIAL_THREADS),
  });
}

function hasDropout(dropout: AttentionDropout | undefined): dropout is AttentionDropout {
  return dropout !== undefined && dropout.p > 0;
}

function attentionUniforms(shape: AttentionShape, dropout: AttentionDropout | undefined): ArrayBuffer {
  const p = dropout?.p ?? 0;
  if (!(p >= 0 && p < 1)) throw new Error(`attention: dropout p must be in [0, 1), got ${p}`);
  return packUniforms(PARAMS, {
    batch: shape.batch,
    seqLen: shape.seqLen,
    heads: shape.heads,
    headDim: shape.headDim,
    seed: (dropout?.seed ?? 0) >>> 0,
    dropP: p,
    dropScale: 1 / (1 - p),
    invSqrtD: 1 / Math.sqrt(shape.headDim),
  });
}

function checkShapes(
  shape: AttentionShape,
  activations: Record<string, Tensor>,
  probs: Tensor,
  attnMask: Tensor,
  headMask: Tensor,
): void {
  const { batch, seqLen, heads, headDim } = shape;
  for (const [name, n] of Object.entries({ batch, seqLen, heads, headDim })) {
    if (!Number.isInteger(n) || n < 1) throw new Error(`attention: ${name} must be a positive integer, got ${n}`);
  }
  const expect = (name: string, t: Tensor, size: number) => {
    if (t.size !== size) throw new Error(`attention: ${name} has ${t.size} values, expected ${size} for [B=${batch}, T=${seqLen}, H=${heads}, d=${headDim}]`);
  };
  for (const [name, t] of Object.entries(activations)) expect(name, t, batch * seqLen * heads * headDim);
  expect('probs', probs, batch * heads * seqLen * seqLen);
  expect('attnMask', attnMask, batch * seqLen);
  expect('headMask', headMask, heads);
}

const HEADER = /* wgsl */ `
${uniformStruct(PARAMS)}
@group(0) @binding(0) var<uniform> p: Params;
`;

/** The same stateless keep-mask as elementwise dropout, over the flat probs index. */
function dropoutWgsl(enabled: boolean): string {
  if (!enabled) return 'fn dropoutFactor(index: u32) -> f32 { return 1.0; }';
  return /* wgsl */ `${WGSL_DROPOUT_HASH}
// 0 for a dropped element, 1/(1-p) for a kept one.
fn dropoutFactor(index: u32) -> f32 {
  return select(0.0, p.dropScale, dropout_keep(p.seed, index, p.dropP));
}`;
}

/** Tree reductions over the workgroup; callers must be in uniform control flow. */
const REDUCE = /* wgsl */ `
var<workgroup> scratch: array<vec2<f32>, ${ROW_THREADS}>;
fn reduceSum2(value: vec2<f32>, tid: u32) -> vec2<f32> {
  scratch[tid] = value;
  workgroupBarrier();
  for (var stride = ${ROW_THREADS / 2}u; stride > 0u; stride >>= 1u) {
    if (tid < stride) { scratch[tid] += scratch[tid + stride]; }
    workgroupBarrier();
  }
  let total = scratch[0];
  workgroupBarrier(); // scratch is reused by the next reduction
  return total;
}
fn reduceMax(value: f32, tid: u32) -> f32 {
  scratch[tid] = vec2<f32>(value, 0.0);
  workgroupBarrier();
  for (var stride = ${ROW_THREADS / 2}u; stride > 0u; stride >>= 1u) {
    if (tid < stride) { scratch[tid].x = max(scratch[tid].x, scratch[tid + stride].x); }
    workgroupBarrier();
  }
  let total = scratch[0].x;
  workgroupBarrier();
  return total;
}`;

/** Row entry: `row` = (b*H + h)*T + i, plus b, h, i (as qi) and the row's offsets. */
const ROW_MAIN = /* wgsl */ `
@compute @workgroup_size(${ROW_THREADS})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) tid: u32) {
  let T = p.seqLen;
  let H = p.heads;
  let D = p.headDim;
  let width = H * D;
  let row = wg.x + wg.y * nwg.x;
  if (row >= p.batch * H * T) { return; }
  let qi = row % T;
  let h = (row / T) % H;
  let b = row / (T * H);
  let queryBase = (b * T + qi) * width + h * D; // row qi of head h in [B*T, H*d]
  let rowBase = row * T; // row (b,h,qi) of [B,H,T,T]`;

/** Flat entry over the [B*T, H*d] elements: `t` = b*T + position, `col` = h*d + c. */
const FLAT_MAIN = /* wgsl */ `
${flatIndexMain(FLAT_THREADS)}
  let T = p.seqLen;
  let H = p.heads;
  let D = p.headDim;
  let width = H * D;
  if (i >= p.batch * T * width) { return; }
  let col = i % width;
  let t = i / width;
  let h = col / D;
  let b = t / T;
  let position = t % T;`;

function softmaxWgsl(): string {
  return /* wgsl */ `${HEADER}
@group(0) @binding(1) var<storage, read> q: array<f32>;
@group(0) @binding(2) var<storage, read> k: array<f32>;
@group(0) @binding(3) var<storage, read> attnMask: array<f32>;
@group(0) @binding(4) var<storage, read_write> probs: array<f32>;
${REDUCE}
${ROW_MAIN}
  // Each thread only revisits its own keys j, so probs doubles as per-thread scratch.
  var localMax = -3.0e38;
  for (var j = tid; j < T; j += ${ROW_THREADS}u) {
    var score = 0.0;
    if (attnMask[b * T + j] > 0.5) {
      let keyBase = (b * T + j) * width + h * D;
      var acc = 0.0;
      for (var c = 0u; c < D; c++) { acc += q[queryBase + c] * k[keyBase + c]; }
      score = acc * p.invSqrtD;
      localMax = max(localMax, score);
    }
    probs[rowBase + j] = score;
  }
  let rowMax = reduceMax(localMax, tid);
  var localSum = 0.0;
  for (var j = tid; j < T; j += ${ROW_THREADS}u) {
    var e = 0.0;
    if (attnMask[b * T + j] > 0.5) { e = exp(probs[rowBase + j] - rowMax); }
    probs[rowBase + j] = e;
    localSum += e;
  }
  let total = reduceSum2(vec2<f32>(localSum, 0.0), tid).x;
  for (var j = tid; j < T; j += ${ROW_THREADS}u) {
    probs[rowBase + j] = select(0.0, probs[rowBase + j] / total, total > 0.0);
  }
}
`;
}

function contextWgsl(dropout: boolean): string {
  return /* wgsl */ `${HEADER}
@group(0) @binding(1) var<storage, read> probs: array<f32>;
@group(0) @binding(2) var<storage, read> v: array<f32>;
@group(0) @binding(3) var<storage, read> headMask: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;
${dropoutWgsl(dropout)}
${FLAT_MAIN}
  let probBase = ((b * H + h) * T + position) * T;
  let valueBase = b * T * width + col;
  var acc = 0.0;
  for (var j = 0u; j < T; j++) {
    acc += probs[probBase + j] * dropoutFactor(probBase + j) * v[valueBase + j * width];
  }
  out[i] = headMask[h] * acc;
}
`;
}

/** dP' = dO Vᵀ, dm_h share = Σ_j dP'·D(P), dP = m_h·D'(dP'), dS = P ⊙ (dP − Σ_j dP·P). */
function scoresBackwardWgsl(dropout: boolean): string {
  return /* wgsl */ `${HEADER}
@group(0) @binding(1) var<storage, read> dOut: array<f32>;
@group(0) @binding(2) var<storage, read> v: array<f32>;
@group(0) @binding(3) var<storage, read> probs: array<f32>;
@group(0) @binding(4) var<storage, read> headMask: array<f32>;
@group(0) @binding(5) var<storage, read_write> dScores: array<f32>;
@group(0) @binding(6) var<storage, read_write> rowHeadGrad: array<f32>;
${dropoutWgsl(dropout)}
${REDUCE}
${ROW_MAIN}
  let m = headMask[h];
  var sums = vec2<f32>(0.0, 0.0); // (dm_h share, Σ dP·P)
  for (var j = tid; j < T; j += ${ROW_THREADS}u) {
    let valueBase = (b * T + j) * width + h * D;
    var dMasked = 0.0; // dP'[qi, j]
    for (var c = 0u; c < D; c++) { dMasked += dOut[queryBase + c] * v[valueBase + c]; }
    let index = rowBase + j;
    let factor = dropoutFactor(index);
    let prob = probs[index];
    let dProb = m * dMasked * factor;
    sums += vec2<f32>(dMasked * prob * factor, dProb * prob);
    dScores[index] = dProb; // this thread's scratch until the row sum is known
  }
  let total = reduceSum2(sums, tid);
  for (var j = tid; j < T; j += ${ROW_THREADS}u) {
    let index = rowBase + j;
    dScores[index] = probs[index] * (dScores[index] - total.y);
  }
  if (tid == 0u) { rowHeadGrad[row] = total.x; }
}
`;
}

/** dQ[b,i,h,:] = Σ_j dS[b,h,i,j] K[b,j,h,:] / √d. */
function dqWgsl(): string {
  return /* wgsl */ `${HEADER}
@group(0) @binding(1) var<storage, read> dScores: array<f32>;
@group(0) @binding(2) var<storage, read> k: array<f32>;
@group(0) @binding(3) var<storage, read_write> dQ: array<f32>;
${FLAT_MAIN}
  let scoreBase = ((b * H + h) * T + position) * T;
  let keyBase = b * T * width + col;
  var acc = 0.0;
  for (var j = 0u; j < T; j++) { acc += dScores[scoreBase + j] * k[keyBase + j * width]; }
  dQ[i] = acc * p.invSqrtD;
}
`;
}

/** For key position j: dK = Σ_i dS[i,j] Q[i] / √d and dV = Σ_i m_h·D(P)[i,j] dO[i]. */
function dkvWgsl(dropout: boolean): string {
  return /* wgsl */ `${HEADER}
@group(0) @binding(1) var<storage, read> dScores: array<f32>;
@group(0) @binding(2) var<storage, read> q: array<f32>;
@group(0) @binding(3) var<storage, read> probs: array<f32>;
@group(0) @binding(4) var<storage, read> dOut: array<f32>;
@group(0) @binding(5) var<storage, read> headMask: array<f32>;
@group(0) @binding(6) var<storage, read_write> dK: array<f32>;
@group(0) @binding(7) var<storage, read_write> dV: array<f32>;
${dropoutWgsl(dropout)}
${FLAT_MAIN}
  let headBase = (b * H + h) * T * T;
  let sourceBase = b * T * width + col;
  var accK = 0.0;
  var accV = 0.0;
  for (var qi = 0u; qi < T; qi++) {
    let index = headBase + qi * T + position;
    let source = sourceBase + qi * width;
    accK += dScores[index] * q[source];
    accV += probs[index] * dropoutFactor(index) * dOut[source];
  }
  dK[i] = accK * p.invSqrtD;
  dV[i] = headMask[h] * accV;
}
`;
}

/** One workgroup per head: dHeadMask[h] += Σ_{b,i} rowHeadGrad[b,h,i]. */
function headMaskReduceWgsl(): string {
  return /* wgsl */ `${HEADER}
@group(0) @binding(1) var<storage, read> rowHeadGrad: array<f32>;
@group(0) @binding(2) var<storage, read_write> dHeadMask: array<f32>;
${REDUCE}
@compute @workgroup_size(${ROW_THREADS})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) tid: u32) {
  let T = p.seqLen;
  let h = wg.x;
  var share = 0.0;
  for (var e = tid; e < p.batch * T; e += ${ROW_THREADS}u) {
    share += rowHeadGrad[((e / T) * p.heads + h) * T + e % T];
  }
  let total = reduceSum2(vec2<f32>(share, 0.0), tid).x;
  if (tid == 0u) { dHeadMask[h] += total; }
}
`;
}

// ---------------------------------------------------------------------------------------------
// Serial strategy. Blocks past T (or d) read a clamped, valid address and store nothing. The
// code is unrolled at generation time: dynamically indexed private arrays are slow on SwiftShader.

const ROWS = [...Array(ROW_BLOCK).keys()];
const KEYS = [...Array(KEY_BLOCK).keys()];
const COLUMNS = [...Array(COLUMN_BLOCK).keys()];
const LANES = ['x', 'y', 'z', 'w'];

/** Grids with one invocation per block of rows (scores), or per block of rows × head dimensions. */
function serialGrids(shape: AttentionShape): { rowBlocks: [number, number, number]; rowColumnBlocks: [number, number, number] } {
  const rowBlocks = shape.batch * shape.heads * Math.ceil(shape.seqLen / ROW_BLOCK);
  return {
    rowBlocks: grid1d(rowBlocks, SERIAL_THREADS),
    rowColumnBlocks: grid1d(rowBlocks * Math.ceil(shape.headDim / COLUMN_BLOCK), SERIAL_THREADS),
  };
}

/**
 * Entry for an invocation owning ROW_BLOCK rows r0.. of head (b,h), and when `columns`,
 * COLUMN_BLOCK head dimensions c0.. as well (consecutive invocations take consecutive column blocks).
 */
function serialMain(columns: boolean): string {
  const columnBlocks = columns ? `(D + ${COLUMN_BLOCK - 1}u) / ${COLUMN_BLOCK}u` : '1u';
  return /* wgsl */ `
${flatIndexMain(SERIAL_THREADS)}
  let T = p.seqLen;
  let H = p.heads;
  let D = p.headDim;
  let width = H * D;
  let rowBlocks = (T + ${ROW_BLOCK - 1}u) / ${ROW_BLOCK}u;
  let columnBlocks = ${columnBlocks};
  if (i >= p.batch * H * rowBlocks * columnBlocks) { return; }
  let c0 = (i % columnBlocks) * ${COLUMN_BLOCK}u;
  let r0 = ((i / columnBlocks) % rowBlocks) * ${ROW_BLOCK}u;
  let bh = i / (columnBlocks * rowBlocks); // b*H + h
  let b = bh / H;
  let h = bh % H;
  let tokenBase = b * T; // first token of sequence b
  let headBase = bh * T * T; // head (b,h) of [B,H,T,T]
  ${ROWS.map((r) => `let row${r} = min(r0 + ${r}u, T - 1u);`).join('\n  ')}`;
}

/** Scores and softmax for 4 query rows: S = Q Kᵀ/√d over 4 keys at a time, then each row normalised. */
function softmaxSerialWgsl(): string {
  const stores = ROWS.map(
    (r) => `    let scores${r} = select(vec4<f32>(0.0), acc${r} * p.invSqrtD, real);
    let masked${r} = select(vec4<f32>(-3.0e38), scores${r}, real);
    rowMax[${r}] = max(rowMax[${r}], max(max(masked${r}.x, masked${r}.y), max(masked${r}.z, masked${r}.w)));
    if (r0 + ${r}u < T) {
      let rowBase = headBase + (r0 + ${r}u) * T;
${KEYS.map((k) => `      if (j0 + ${k}u < T) { probs[rowBase + j0 + ${k}u] = scores${r}.${LANES[k]}; }`).join('\n')}
    }`,
  );
  return /* wgsl */ `${HEADER}
@group(0) @binding(1) var<storage, read> q: array<f32>;
@group(0) @binding(2) var<storage, read> k: array<f32>;
@group(0) @binding(3) var<storage, read> attnMask: array<f32>;
@group(0) @binding(4) var<storage, read_write> probs: array<f32>;
${serialMain(false)}
  ${ROWS.map((r) => `let query${r} = (tokenBase + row${r}) * width + h * D;`).join('\n  ')}
  var rowMax = vec4<f32>(-3.0e38);
  // Pass 1: raw scores (0 for padding keys) into probs, and each row's max over real keys.
  for (var j0 = 0u; j0 < T; j0 += ${KEY_BLOCK}u) {
    ${KEYS.map((k) => `let key${k} = (tokenBase + min(j0 + ${k}u, T - 1u)) * width + h * D;`).join('\n    ')}
    let real = vec4<bool>(${KEYS.map((k) => `j0 + ${k}u < T && attnMask[tokenBase + j0 + ${k}u] > 0.5`).join(',\n                          ')});
    ${ROWS.map((r) => `var acc${r} = vec4<f32>();`).join('\n    ')}
    for (var c = 0u; c < D; c++) {
      let keys = vec4<f32>(${KEYS.map((k) => `k[key${k} + c]`).join(', ')});
      ${ROWS.map((r) => `acc${r} += q[query${r} + c] * keys;`).join('\n      ')}
    }
${stores.join('\n')}
  }
  // Pass 2: exp, sum and normalise each row this invocation owns.
  for (var r = 0u; r < ${ROW_BLOCK}u && r0 + r < T; r++) {
    let rowBase = headBase + (r0 + r) * T;
    var sum = 0.0;
    for (var j = 0u; j < T; j++) {
      var e = 0.0;
      if (attnMask[tokenBase + j] > 0.5) { e = exp(probs[rowBase + j] - rowMax[r]); }
      probs[rowBase + j] = e;
      sum += e;
    }
    for (var j = 0u; j < T; j++) {
      probs[rowBase + j] = select(0.0, probs[rowBase + j] / sum, sum > 0.0);
    }
  }
}
`;
}

/**
 * For 4 query rows: dP' = dO Vᵀ over 4 keys at a time, dP = m_h·D'(dP'), the row sums
 * (dm_h share, Σ dP·P), then dS = P ⊙ (dP − Σ dP·P).
 */
function scoresBackwardSerialWgsl(dropout: boolean): string {
  const elementUpdates = ROWS.map(
    (r) => `    if (r0 + ${r}u < T) {
      let rowBase = headBase + (r0 + ${r}u) * T;
${KEYS.map(
  (k) => `      if (j0 + ${k}u < T) {
        let index = rowBase + j0 + ${k}u;
        let dMasked = acc${r}.${LANES[k]}; // dP'[i, j]
        let factor = dropoutFactor(index);
        let prob = probs[index];
        let dProb = m * dMasked * factor;
        headShare[${r}] += dMasked * prob * factor;
        rowDot[${r}] += dProb * prob;
        dScores[index] = dProb; // this invocation's scratch until the row sum is known
      }`,
).join('\n')}
    }`,
  );
  return /* wgsl */ `${HEADER}
@group(0) @binding(1) var<storage, read> dOut: array<f32>;
@group(0) @binding(2) var<storage, read> v: array<f32>;
@group(0) @binding(3) var<storage, read> probs: array<f32>;
@group(0) @binding(4) var<storage, read> headMask: array<f32>;
@group(0) @binding(5) var<storage, read_write> dScores: array<f32>;
@group(0) @binding(6) var<storage, read_write> rowHeadGrad: array<f32>;
${dropoutWgsl(dropout)}
${serialMain(false)}
  let m = headMask[h];
  ${ROWS.map((r) => `let query${r} = (tokenBase + row${r}) * width + h * D;`).join('\n  ')}
  var headShare = vec4<f32>(); // each row's share of dm_h
  var rowDot = vec4<f32>(); // each row's Σ_j dP·P
  for (var j0 = 0u; j0 < T; j0 += ${KEY_BLOCK}u) {
    ${KEYS.map((k) => `let value${k} = (tokenBase + min(j0 + ${k}u, T - 1u)) * width + h * D;`).join('\n    ')}
    ${ROWS.map((r) => `var acc${r} = vec4<f32>();`).join('\n    ')}
    for (var c = 0u; c < D; c++) {
      let values = vec4<f32>(${KEYS.map((k) => `v[value${k} + c]`).join(', ')});
      ${ROWS.map((r) => `acc${r} += dOut[query${r} + c] * values;`).join('\n      ')}
    }
${elementUpdates.join('\n')}
  }
  for (var r = 0u; r < ${ROW_BLOCK}u && r0 + r < T; r++) {
    let rowBase = headBase + (r0 + r) * T;
    for (var j = 0u; j < T; j++) {
      dScores[rowBase + j] = probs[rowBase + j] * (dScores[rowBase + j] - rowDot[r]);
    }
    rowHeadGrad[bh * T + r0 + r] = headShare[r];
  }
}
`;
}

/** The two vec4 of a row's COLUMN_BLOCK head dimensions from `array`, starting at `rowStart`. */
function columnVectors(name: string, array: string, rowStart: string): string {
  return [0, 1]
    .map((v) => `let ${name}${v} = vec4<f32>(${LANES.map((_, j) => `${array}[${rowStart} + column${v * 4 + j}]`).join(', ')});`)
    .join('\n    ');
}

/** Stores a ROW_BLOCK × COLUMN_BLOCK block of accumulators `acc{r}_{v}`, scaled, into [B*T, H*d]. */
function storeColumns(out: string, acc: string, scale: string): string {
  return ROWS.map(
    (r) => `  if (r0 + ${r}u < T) {
    let outRow = (tokenBase + r0 + ${r}u) * width + h * D;
${COLUMNS.map((c) => `    if (c0 + ${c}u < D) { ${out}[outRow + c0 + ${c}u] = ${scale} * ${acc}${r}_${c >> 2}.${LANES[c & 3]}; }`).join('\n')}
  }`,
  ).join('\n');
}

/** Column offsets (within a token's row) of the invocation's head dimensions, clamped to the head. */
const COLUMN_OFFSETS = COLUMNS.map((c) => `let column${c} = h * D + min(c0 + ${c}u, D - 1u);`).join('\n  ');

/**
 * Σ over keys j for 4 query rows × 8 head dimensions:
 * context: O = m_h · D(P) V;  dq: dQ = dS K / √d.
 */
function keySumSerialWgsl(kind: 'context' | 'dq', dropout: boolean): string {
  const context = kind === 'context';
  const bindings = context
    ? `@group(0) @binding(1) var<storage, read> weights: array<f32>; // probs [B,H,T,T]
@group(0) @binding(2) var<storage, read> values: array<f32>; // v [B*T, H*d]
@group(0) @binding(3) var<storage, read> headMask: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;`
    : `@group(0) @binding(1) var<storage, read> weights: array<f32>; // dScores [B,H,T,T]
@group(0) @binding(2) var<storage, read> values: array<f32>; // k [B*T, H*d]
@group(0) @binding(3) var<storage, read_write> out: array<f32>; // dQ`;
  const weight = (r: number) =>
    context ? `weights[weight${r} + j] * dropoutFactor(weight${r} + j)` : `weights[weight${r} + j]`;
  return /* wgsl */ `${HEADER}
${bindings}
${dropoutWgsl(dropout && context)}
${serialMain(true)}
  ${COLUMN_OFFSETS}
  ${ROWS.map((r) => `let weight${r} = headBase + row${r} * T;`).join('\n  ')}
  ${ROWS.flatMap((r) => [0, 1].map((v) => `var acc${r}_${v} = vec4<f32>();`)).join('\n  ')}
  for (var j = 0u; j < T; j++) {
    let valueRow = (tokenBase + j) * width;
    ${columnVectors('value', 'values', 'valueRow')}
    ${ROWS.map((r) => `let w${r} = ${weight(r)};
    acc${r}_0 += w${r} * value0;
    acc${r}_1 += w${r} * value1;`).join('\n    ')}
  }
${storeColumns('out', 'acc', context ? 'headMask[h]' : 'p.invSqrtD')}
}
`;
}

/** Σ over queries i for 4 keys × 8 head dimensions: dK = dSᵀ Q / √d and dV = m_h · D(P)ᵀ dO. */
function dkvSerialWgsl(dropout: boolean): string {
  return /* wgsl */ `${HEADER}
@group(0) @binding(1) var<storage, read> dScores: array<f32>;
@group(0) @binding(2) var<storage, read> q: array<f32>;
@group(0) @binding(3) var<storage, read> probs: array<f32>;
@group(0) @binding(4) var<storage, read> dOut: array<f32>;
@group(0) @binding(5) var<storage, read> headMask: array<f32>;
@group(0) @binding(6) var<storage, read_write> dK: array<f32>;
@group(0) @binding(7) var<storage, read_write> dV: array<f32>;
${dropoutWgsl(dropout)}
${serialMain(true)}
  ${COLUMN_OFFSETS}
  ${ROWS.flatMap((r) => [0, 1].flatMap((v) => [`var accK${r}_${v} = vec4<f32>();`, `var accV${r}_${v} = vec4<f32>();`])).join('\n  ')}
  for (var qi = 0u; qi < T; qi++) {
    let sourceRow = (tokenBase + qi) * width;
    ${columnVectors('query', 'q', 'sourceRow')}
    ${columnVectors('gradient', 'dOut', 'sourceRow')}
    let scoreRow = headBase + qi * T;
    ${ROWS.map((r) => `let index${r} = scoreRow + row${r}; // key row${r}
    let dScore${r} = dScores[index${r}];
    let kept${r} = probs[index${r}] * dropoutFactor(index${r});
    accK${r}_0 += dScore${r} * query0;
    accK${r}_1 += dScore${r} * query1;
    accV${r}_0 += kept${r} * gradient0;
    accV${r}_1 += kept${r} * gradient1;`).join('\n    ')}
  }
${storeColumns('dK', 'accK', 'p.invSqrtD')}
${storeColumns('dV', 'accV', 'headMask[h]')}
}
`;
}

/** One invocation per head: dHeadMask[h] += Σ_{b,i} rowHeadGrad[b,h,i]. */
function headMaskReduceSerialWgsl(): string {
  return /* wgsl */ `${HEADER}
@group(0) @binding(1) var<storage, read> rowHeadGrad: array<f32>;
@group(0) @binding(2) var<storage, read_write> dHeadMask: array<f32>;
${flatIndexMain(SERIAL_THREADS)}
  let h = i;
  if (h >= p.heads) { return; }
  let T = p.seqLen;
  var share = 0.0;
  for (var b = 0u; b < p.batch; b++) {
    let rowBase = (b * p.heads + h) * T;
    for (var qi = 0u; qi < T; qi++) { share += rowHeadGrad[rowBase + qi]; }
  }
  dHeadMask[h] += share;
}
`;
}
