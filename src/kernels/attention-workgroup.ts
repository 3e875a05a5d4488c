/**
 * Attention's `workgroup` strategy (GPUs), the WGSL and the grids it runs on. Forward: one
 * workgroup per score row (b,h,i) computes scores and softmax into `probs` with workgroup-memory
 * reductions, then one thread per context element sums over keys. Backward: one workgroup per row
 * computes dS into a temporary [B,H,T,T] (and that row's share of dm_h), then one thread per dQ
 * element, one thread per (dK, dV) element pair, and one workgroup per head to reduce the dm_h
 * shares. `attention.ts` chooses the strategy and dispatches.
 */
import { flatIndexMain, grid1d } from './wgsl';
import { defineKernel, readOnly, readWrite } from './kernel';
import { treeReductionWgsl } from './wgsl-reduce';
import { ATTENTION_PARAMS, dropoutWgsl, type AttentionShape } from './attention-common';

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

/** Workgroup sizes of the row kernels (one workgroup per score row, or per head) and the flat ones (a thread per element). */
export const ROW = { threads: ROW_THREADS };
export const FLAT = { threads: FLAT_THREADS };

type RowConstants = { threads: number };
type FlatConstants = { threads: number; dropout: boolean };

/** `reduceSum2` and `reduceMax` over the workgroup; callers must be in uniform control flow. */
function reductions(threads: number): string {
  return `${treeReductionWgsl({ name: 'reduceSum2', op: 'sum', type: 'vec2<f32>', threads })}
${treeReductionWgsl({ name: 'reduceMax', op: 'max', type: 'f32', threads })}`;
}

/** Row entry: `row` = (b*H + h)*T + i, plus b, h, i (as qi) and the row's offsets. */
function rowMain(threads: number): string {
  return /* wgsl */ `
@compute @workgroup_size(${threads})
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
}

/** Flat entry over the [B*T, H*d] elements: `t` = b*T + position, `col` = h*d + c. */
function flatMain(threads: number): string {
  return /* wgsl */ `
${flatIndexMain(threads)}
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
}

export const SOFTMAX = defineKernel({
  name: 'attention.softmax',
  layout: () => ({
    uniforms: ATTENTION_PARAMS,
    storage: [readOnly('q'), readOnly('k'), readOnly('attnMask'), readWrite('probs')],
  }),
  body: ({ threads }: RowConstants) => /* wgsl */ `${reductions(threads)}
${rowMain(threads)}
  // Each thread only revisits its own keys j, so probs doubles as per-thread scratch.
  var localMax = -3.0e38;
  for (var j = tid; j < T; j += ${threads}u) {
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
  for (var j = tid; j < T; j += ${threads}u) {
    var e = 0.0;
    if (attnMask[b * T + j] > 0.5) { e = exp(probs[rowBase + j] - rowMax); }
    probs[rowBase + j] = e;
    localSum += e;
  }
  let total = reduceSum2(vec2<f32>(localSum, 0.0), tid).x;
  for (var j = tid; j < T; j += ${threads}u) {
    probs[rowBase + j] = select(0.0, probs[rowBase + j] / total, total > 0.0);
  }
}
`,
});

export const CONTEXT = defineKernel({
  name: 'attention.context',
  layout: () => ({
    uniforms: ATTENTION_PARAMS,
    storage: [readOnly('probs'), readOnly('v'), readOnly('headMask'), readWrite('out')],
  }),
  body: ({ threads, dropout }: FlatConstants) => /* wgsl */ `${dropoutWgsl(dropout)}
${flatMain(threads)}
  let probBase = ((b * H + h) * T + position) * T;
  let valueBase = b * T * width + col;
  var acc = 0.0;
  for (var j = 0u; j < T; j++) {
    acc += probs[probBase + j] * dropoutFactor(probBase + j) * v[valueBase + j * width];
  }
  out[i] = headMask[h] * acc;
}
`,
});

/** dP' = dO Vᵀ, dm_h share = Σ_j dP'·D(P), dP = m_h·D'(dP'), dS = P ⊙ (dP − Σ_j dP·P). */
export const SCORES_BACKWARD = defineKernel({
  name: 'attention.backward.scores',
  layout: () => ({
    uniforms: ATTENTION_PARAMS,
    storage: [readOnly('dOut'), readOnly('v'), readOnly('probs'), readOnly('headMask'), readWrite('dScores'), readWrite('rowHeadGrad')],
  }),
  body: ({ threads, dropout }: RowConstants & { dropout: boolean }) => /* wgsl */ `${dropoutWgsl(dropout)}
${reductions(threads)}
${rowMain(threads)}
  let m = headMask[h];
  var sums = vec2<f32>(0.0, 0.0); // (dm_h share, Σ dP·P)
  for (var j = tid; j < T; j += ${threads}u) {
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
  for (var j = tid; j < T; j += ${threads}u) {
    let index = rowBase + j;
    dScores[index] = probs[index] * (dScores[index] - total.y);
  }
  if (tid == 0u) { rowHeadGrad[row] = total.x; }
}
`,
});

/** dQ[b,i,h,:] = Σ_j dS[b,h,i,j] K[b,j,h,:] / √d. */
export const DQ = defineKernel({
  name: 'attention.backward.dq',
  layout: () => ({ uniforms: ATTENTION_PARAMS, storage: [readOnly('dScores'), readOnly('k'), readWrite('dQ')] }),
  body: ({ threads }: { threads: number }) => /* wgsl */ `
${flatMain(threads)}
  let scoreBase = ((b * H + h) * T + position) * T;
  let keyBase = b * T * width + col;
  var acc = 0.0;
  for (var j = 0u; j < T; j++) { acc += dScores[scoreBase + j] * k[keyBase + j * width]; }
  dQ[i] = acc * p.invSqrtD;
}
`,
});

/** For key position j: dK = Σ_i dS[i,j] Q[i] / √d and dV = Σ_i m_h·D(P)[i,j] dO[i]. */
export const DKV = defineKernel({
  name: 'attention.backward.dkv',
  layout: () => ({
    uniforms: ATTENTION_PARAMS,
    storage: [readOnly('dScores'), readOnly('q'), readOnly('probs'), readOnly('dOut'), readOnly('headMask'), readWrite('dK'), readWrite('dV')],
  }),
  body: ({ threads, dropout }: FlatConstants) => /* wgsl */ `${dropoutWgsl(dropout)}
${flatMain(threads)}
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
`,
});

/** One workgroup per head: dHeadMask[h] += Σ_{b,i} rowHeadGrad[b,h,i]. */
export const HEAD_MASK_REDUCE = defineKernel({
  name: 'attention.backward.headMask',
  layout: () => ({ uniforms: ATTENTION_PARAMS, storage: [readOnly('rowHeadGrad'), readWrite('dHeadMask')] }),
  body: ({ threads }: RowConstants) => /* wgsl */ `${reductions(threads)}
@compute @workgroup_size(${threads})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) tid: u32) {
  let T = p.seqLen;
  let h = wg.x;
  var share = 0.0;
  for (var e = tid; e < p.batch * T; e += ${threads}u) {
    share += rowHeadGrad[((e / T) * p.heads + h) * T + e % T];
  }
  let total = reduceSum2(vec2<f32>(share, 0.0), tid).x;
  if (tid == 0u) { dHeadMask[h] += total; }
}
`,
});
