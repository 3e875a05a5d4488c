/**
 * Multi-head scaled dot-product attention with a key padding mask, a Light-PEFT head mask and
 * attention-probability dropout, forward and backward.
 *
 *   S = Q_h K_hᵀ / √d (padding keys excluded)   P = softmax(S)   P' = m_h · D(P)   O_h = P' V_h
 *
 * D is dropout: keep/(1−p), with a stateless hash of (seed, flat index into probs) deciding
 * "keep", so the backward pass regenerates the forward's keep-mask without storing it.
 *
 * Forward: one workgroup per score row (b,h,i) computes scores and softmax into `probs`, then
 * one thread per context element sums over keys.
 * Backward: one workgroup per row computes dS into a temporary [B,H,T,T] (and that row's share
 * of dm_h), then one thread per dQ element, one thread per (dK, dV) element pair, and one
 * workgroup per head to reduce the dm_h shares.
 * Q, K, V, O: [B*T, H*d] (head h in columns h*d..(h+1)*d), probs: [B,H,T,T].
 */
import type { GpuContext } from '../engine/gpu/context';
import type { Tensor } from '../engine/gpu/buffers';
import { flatIndexMain, grid1d, packUniforms, uniformStruct } from './wgsl';

const ROW_THREADS = 128; // one workgroup per score row; threads stride over keys
const FLAT_THREADS = 128;

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
}

export function attentionForward(ctx: GpuContext, args: AttentionForwardArgs): void {
  checkShapes(args, { q: args.q, k: args.k, v: args.v, out: args.out }, args.probs, args.attnMask, args.headMask);
  const uniforms = attentionUniforms(args, args.dropout);
  const dropout = hasDropout(args.dropout);
  const rows = args.batch * args.heads * args.seqLen;
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
  const { batch, seqLen, heads, headDim } = args;
  const grads = { dOut: args.dOut, q: args.q, k: args.k, v: args.v, dQ: args.dQ, dK: args.dK, dV: args.dV };
  checkShapes(args, grads, args.probs, args.attnMask, args.headMask);
  if (args.dHeadMask.size !== heads) throw new Error(`attentionBackward: dHeadMask has ${args.dHeadMask.size} values, expected ${heads}`);
  const uniforms = attentionUniforms(args, args.dropout);
  const dropout = hasDropout(args.dropout);
  const rows = batch * heads * seqLen;
  const dScores = ctx.empty([batch, heads, seqLen, seqLen], 'f32', 'attention dScores');
  const rowHeadGrad = ctx.empty([batch, heads, seqLen], 'f32', 'attention dHeadMask partials');
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
  // Later work that reuses these buffers is recorded after, so it runs after these reads.
  dScores.dispose();
  rowHeadGrad.dispose();
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

/** Stateless keep-mask: PCG hash of (seed, flat probs index) → uniform in [0,1) on a 2⁻²⁴ grid. */
function dropoutWgsl(enabled: boolean): string {
  if (!enabled) return 'fn dropoutFactor(index: u32) -> f32 { return 1.0; }';
  return /* wgsl */ `
fn pcgHash(value: u32) -> u32 {
  let state = value * 747796405u + 2891336453u;
  let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
  return (word >> 22u) ^ word;
}
// 0 for a dropped element, 1/(1-p) for a kept one.
fn dropoutFactor(index: u32) -> f32 {
  let uniform01 = f32(pcgHash(pcgHash(p.seed) + index) >> 8u) / 16777216.0;
  return select(0.0, p.dropScale, uniform01 >= p.dropP);
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
