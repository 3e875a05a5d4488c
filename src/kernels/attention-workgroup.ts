/**
 * Attention's `workgroup` strategy (GPUs), the WGSL and the grids it runs on. Forward: one
 * workgroup per score row (b,h,i) computes scores and softmax into `probs` with workgroup-memory
 * reductions, then one thread per context element sums over keys. Backward: one workgroup per row
 * computes dS into a temporary [B,H,T,T] (and that row's share of dm_h), then one thread per dQ
 * element, one thread per (dK, dV) element pair, and one workgroup per head to reduce the dm_h
 * shares. `attention.ts` chooses the strategy and dispatches.
 */
import { flatIndexMain, grid1d } from './wgsl';
import { ATTENTION_HEADER, dropoutWgsl, type AttentionShape } from './attention-common';

const ROW_THREADS = 128; // one workgroup per score row; threads stride over keys
const FLAT_THREADS = 128;

/** Grids for one workgroup per score row, one thread per [B*T, H*d] element, one workgroup per head. */
export function workgroupGrids(shape: AttentionShape): {
  scoreRows: [number, number, number];
  elements: [number, number, number];
  heads: [number, number, number];
} {
  const rows = shape.batch * shape.heads * shape.seqLen;
  return {
    scoreRows: grid1d(rows, 1),
    elements: grid1d(rows * shape.headDim, FLAT_THREADS),
    heads: [shape.heads, 1, 1],
  };
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

export function softmaxWgsl(): string {
  return /* wgsl */ `${ATTENTION_HEADER}
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

export function contextWgsl(dropout: boolean): string {
  return /* wgsl */ `${ATTENTION_HEADER}
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
export function scoresBackwardWgsl(dropout: boolean): string {
  return /* wgsl */ `${ATTENTION_HEADER}
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
export function dqWgsl(): string {
  return /* wgsl */ `${ATTENTION_HEADER}
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
export function dkvWgsl(dropout: boolean): string {
  return /* wgsl */ `${ATTENTION_HEADER}
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
export function headMaskReduceWgsl(): string {
  return /* wgsl */ `${ATTENTION_HEADER}
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
