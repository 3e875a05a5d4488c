/**
 * Attention's `serial` strategy, the WGSL and the grids it runs on. It exists for CPU-emulated
 * WebGPU such as SwiftShader, where barriers are slow and so is every storage load: the same
 * passes as the `workgroup` strategy without barriers, each invocation owning a register block,
 * like matmul's `registers` strategy. Scores: 4 query rows (each invocation loops over all keys,
 * 4 at a time, then normalises its own rows). Context, dQ and dK/dV: 4 rows (queries or keys) ×
 * 8 head dimensions. dm_h: one invocation per head. Measured on SwiftShader (B=16, T=128, H=4,
 * d=64): forward 2.8 s → 0.24 s, backward 3.5 s → 0.43 s.
 *
 * Blocks past T (or d) read a clamped, valid address and store nothing. The code is unrolled at
 * generation time: dynamically indexed private arrays are slow on SwiftShader.
 * `attention.ts` chooses the strategy and dispatches.
 */
import { flatIndexMain, grid1d } from './wgsl';
import { defineKernel, readOnly, readWrite } from './kernel';
import { ATTENTION_PARAMS, dropoutWgsl, type AttentionShape } from './attention-common';

// Invocations per workgroup, and each invocation's register block.
const SERIAL_THREADS = 64;
const ROW_BLOCK = 4; // query rows (or keys, for dK/dV) per invocation; per-row state is a vec4
const KEY_BLOCK = 4; // keys per step of the score loop: one vec4 per query row
const COLUMN_BLOCK = 8; // head dimensions per invocation: two vec4 per row

const ROWS = [...Array(ROW_BLOCK).keys()];
const KEYS = [...Array(KEY_BLOCK).keys()];
const COLUMNS = [...Array(COLUMN_BLOCK).keys()];
const LANES = ['x', 'y', 'z', 'w'];

/** The workgroup size every serial kernel runs with. */
export const SERIAL = { threads: SERIAL_THREADS };

/**
 * Grids with one invocation per block of rows (scores), per block of rows × head dimensions,
 * or per head.
 */
export function serialGrids(shape: AttentionShape): {
  rowBlocks: [number, number, number];
  rowColumnBlocks: [number, number, number];
  heads: [number, number, number];
} {
  const rowBlocks = shape.batch * shape.heads * Math.ceil(shape.seqLen / ROW_BLOCK);
  return {
    rowBlocks: grid1d(rowBlocks, SERIAL_THREADS),
    rowColumnBlocks: grid1d(rowBlocks * Math.ceil(shape.headDim / COLUMN_BLOCK), SERIAL_THREADS),
    heads: grid1d(shape.heads, SERIAL_THREADS),
  };
}

/**
 * Entry for an invocation owning ROW_BLOCK rows r0.. of head (b,h), and when `columns`,
 * COLUMN_BLOCK head dimensions c0.. as well (consecutive invocations take consecutive column blocks).
 */
function serialMain(threads: number, columns: boolean): string {
  const columnBlocks = columns ? `(D + ${COLUMN_BLOCK - 1}u) / ${COLUMN_BLOCK}u` : '1u';
  return /* wgsl */ `
${flatIndexMain(threads)}
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
export const SOFTMAX_SERIAL = defineKernel({
  name: 'attention.softmax.serial',
  layout: () => ({
    uniforms: ATTENTION_PARAMS,
    storage: [readOnly('q'), readOnly('k'), readOnly('attnMask'), readWrite('probs')],
  }),
  body: ({ threads }: { threads: number }) => softmaxSerialWgsl(threads),
});

function softmaxSerialWgsl(threads: number): string {
  const stores = ROWS.map(
    (r) => `    let scores${r} = select(vec4<f32>(0.0), acc${r} * p.invSqrtD, real);
    let masked${r} = select(vec4<f32>(-3.0e38), scores${r}, real);
    rowMax[${r}] = max(rowMax[${r}], max(max(masked${r}.x, masked${r}.y), max(masked${r}.z, masked${r}.w)));
    if (r0 + ${r}u < T) {
      let rowBase = headBase + (r0 + ${r}u) * T;
${KEYS.map((k) => `      if (j0 + ${k}u < T) { probs[rowBase + j0 + ${k}u] = scores${r}.${LANES[k]}; }`).join('\n')}
    }`,
  );
  return /* wgsl */ `
${serialMain(threads, false)}
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
export const SCORES_BACKWARD_SERIAL = defineKernel({
  name: 'attention.backward.scores.serial',
  layout: () => ({
    uniforms: ATTENTION_PARAMS,
    storage: [readOnly('dOut'), readOnly('v'), readOnly('probs'), readOnly('headMask'), readWrite('dScores'), readWrite('rowHeadGrad')],
  }),
  body: ({ threads, dropout }: { threads: number; dropout: boolean }) => scoresBackwardSerialWgsl(threads, dropout),
});

function scoresBackwardSerialWgsl(threads: number, dropout: boolean): string {
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
  return /* wgsl */ `${dropoutWgsl(dropout)}
${serialMain(threads, false)}
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
type KeySumConstants = { threads: number; kind: 'context' | 'dq'; dropout: boolean };

export const KEY_SUM_SERIAL = defineKernel({
  name: 'attention.keySum.serial',
  layout: ({ kind }: KeySumConstants) => ({
    uniforms: ATTENTION_PARAMS,
    storage:
      kind === 'context'
        ? [readOnly('weights', 'f32', 'probs [B,H,T,T]'), readOnly('values', 'f32', 'v [B*T, H*d]'), readOnly('headMask'), readWrite('out')]
        : [readOnly('weights', 'f32', 'dScores [B,H,T,T]'), readOnly('values', 'f32', 'k [B*T, H*d]'), readWrite('out', 'f32', 'dQ')],
  }),
  body: keySumSerialWgsl,
});

function keySumSerialWgsl({ threads, kind, dropout }: KeySumConstants): string {
  const context = kind === 'context';
  const weight = (r: number) =>
    context ? `weights[weight${r} + j] * dropoutFactor(weight${r} + j)` : `weights[weight${r} + j]`;
  return /* wgsl */ `${dropoutWgsl(dropout && context)}
${serialMain(threads, true)}
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
export const DKV_SERIAL = defineKernel({
  name: 'attention.backward.dkv.serial',
  layout: () => ({
    uniforms: ATTENTION_PARAMS,
    storage: [readOnly('dScores'), readOnly('q'), readOnly('probs'), readOnly('dOut'), readOnly('headMask'), readWrite('dK'), readWrite('dV')],
  }),
  body: ({ threads, dropout }: { threads: number; dropout: boolean }) => dkvSerialWgsl(threads, dropout),
});

function dkvSerialWgsl(threads: number, dropout: boolean): string {
  return /* wgsl */ `${dropoutWgsl(dropout)}
${serialMain(threads, true)}
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
export const HEAD_MASK_REDUCE_SERIAL = defineKernel({
  name: 'attention.backward.headMask.serial',
  layout: () => ({ uniforms: ATTENTION_PARAMS, storage: [readOnly('rowHeadGrad'), readWrite('dHeadMask')] }),
  body: ({ threads }: { threads: number }) => headMaskReduceSerialWgsl(threads),
});

function headMaskReduceSerialWgsl(threads: number): string {
  return /* wgsl */ `
${flatIndexMain(threads)}
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
