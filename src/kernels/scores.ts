/**
 * Light-PEFT importance scores, accumulated on the GPU over the estimation steps.
 * - rankScores: first-order Taylor score of each LoRA rank (or adapter bottleneck unit).
 * - importanceRatio: mean over real tokens of ‖PEFT contribution‖₂ / ‖frozen output‖₂.
 * `beta` 0 overwrites `out`, 1 accumulates into it (`out` is not read when beta is 0).
 * Two strategies, chosen by the device: `workgroup` (GPUs) reduces each rank or token with a
 * workgroup-memory tree; `serial` (CPU-emulated WebGPU such as SwiftShader, where barriers are
 * slow) gives each rank or token one invocation that loops, with no barriers.
 */
import type { GpuContext } from '../gpu/context';
import type { Tensor } from '../gpu/buffers';
import { MAX_WORKGROUPS_PER_DIM, flatIndexMain, grid1d, reductionStrategy, type ReductionStrategy } from './wgsl';
import { defineKernel, readOnly, readWrite } from './kernel';
import { treeReductionWgsl } from './wgsl-reduce';

const RANK_WORKGROUP = 64;
const ROW_WORKGROUP = 64;
const MEAN_WORKGROUP = 256;
const SERIAL_THREADS = 64;

/** WGSL: x, or 0 when x is NaN or ±inf (bit test, immune to fast-math assumptions). */
const WGSL_FINITE_OR_ZERO = /* wgsl */ `
fn finite_or_zero(x: f32) -> f32 {
  return select(x, 0.0, (bitcast<u32>(x) & 0x7f800000u) == 0x7f800000u);
}`;

/** `workgroup_sum2(value, tid)`: the workgroup's sum of a vec2, for `threads` invocations. */
function workgroupSum2(threads: number): string {
  return treeReductionWgsl({ name: 'workgroup_sum2', op: 'sum', type: 'vec2<f32>', threads });
}

// ---------------------------------------------------------------------------------------------
// Rank scores

const RANK_PARAMS = { rank: 'u32', inFeatures: 'u32', outFeatures: 'u32', beta: 'f32' } as const;

export interface RankScoresArgs {
  /** [rank, inFeatures] lora_A (adapter: down-projection weight). */
  a: Tensor;
  /** [rank, inFeatures] ∂L/∂A. */
  gradA: Tensor;
  /** [outFeatures, rank] lora_B (adapter: up-projection weight). */
  b: Tensor;
  /** [outFeatures, rank] ∂L/∂B. */
  gradB: Tensor;
  rank: number;
  inFeatures: number;
  outFeatures: number;
  /** [rank]: out = beta·out + score. */
  out: Tensor;
  beta: number;
  /** Overrides the device's choice (tests exercise both on every machine). */
  strategy?: ReductionStrategy;
}

const RANK_LAYOUT = () => ({
  uniforms: RANK_PARAMS,
  storage: [readOnly('a'), readOnly('gradA'), readOnly('b'), readOnly('gradB'), readWrite('out')],
});

const RANK_SCORES = defineKernel({
  name: 'rankScores',
  layout: RANK_LAYOUT,
  body: ({ threads }: { threads: number }) => rankScoresWgsl(threads),
});

const RANK_SCORES_SERIAL = defineKernel({
  name: 'rankScores.serial',
  layout: RANK_LAYOUT,
  body: ({ threads }: { threads: number }) => rankScoresSerialWgsl(threads),
});

/** score[r] = |mean_j(A[r,j]·∂A[r,j])| + |mean_i(B[i,r]·∂B[i,r])|. One workgroup per rank. */
export function rankScores(ctx: GpuContext, args: RankScoresArgs): void {
  const { rank, inFeatures, outFeatures } = args;
  if (rank === 0) return;
  if (inFeatures === 0 || outFeatures === 0) throw new Error('rankScores: inFeatures and outFeatures must be positive');
  const serial = reductionStrategy(ctx, args.strategy) === 'serial';
  const run = {
    uniforms: { rank, inFeatures, outFeatures, beta: args.beta },
    buffers: { a: args.a, gradA: args.gradA, b: args.b, gradB: args.gradB, out: args.out },
  };
  if (serial) RANK_SCORES_SERIAL.dispatch(ctx, { threads: SERIAL_THREADS }, { ...run, workgroups: grid1d(rank, SERIAL_THREADS) });
  else RANK_SCORES.dispatch(ctx, { threads: RANK_WORKGROUP }, { ...run, workgroups: [rank] });
}

/** score = |ΣA·∂A / in| + |ΣB·∂B / out|, then out = score + beta·out. */
const RANK_STORE = /* wgsl */ `
fn store_score(r: u32, total: vec2<f32>) {
  var score = abs(total.x / f32(p.inFeatures)) + abs(total.y / f32(p.outFeatures));
  if (p.beta != 0.0) { score += p.beta * out[r]; }
  out[r] = score;
}`;

function rankScoresWgsl(threads: number): string {
  return /* wgsl */ `${RANK_STORE}
${workgroupSum2(threads)}

@compute @workgroup_size(${threads})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) tid: u32) {
  let r = wg.x;
  var sumA = 0.0;
  for (var j = tid; j < p.inFeatures; j += ${threads}u) {
    let idx = r * p.inFeatures + j;
    sumA += a[idx] * gradA[idx];
  }
  var sumB = 0.0;
  for (var i = tid; i < p.outFeatures; i += ${threads}u) {
    let idx = i * p.rank + r;
    sumB += b[idx] * gradB[idx];
  }
  let total = workgroup_sum2(vec2<f32>(sumA, sumB), tid); // (Σ_j A·∂A, Σ_i B·∂B)
  if (tid == 0u) { store_score(r, total); }
}
`;
}

/** Serial twin: one invocation per rank loops over both matrices. */
function rankScoresSerialWgsl(threads: number): string {
  return /* wgsl */ `${RANK_STORE}

${flatIndexMain(threads)}
  let r = i;
  if (r >= p.rank) { return; }
  var sumA = 0.0;
  for (var j = 0u; j < p.inFeatures; j++) {
    let idx = r * p.inFeatures + j;
    sumA += a[idx] * gradA[idx];
  }
  var sumB = 0.0;
  for (var o = 0u; o < p.outFeatures; o++) {
    let idx = o * p.rank + r;
    sumB += b[idx] * gradB[idx];
  }
  store_score(r, vec2<f32>(sumA, sumB));
}
`;
}

// ---------------------------------------------------------------------------------------------
// Importance Ratio

const ROW_PARAMS = { tokens: 'u32', features: 'u32' } as const;
const MEAN_PARAMS = { tokens: 'u32', beta: 'f32' } as const;

export interface ImportanceRatioArgs {
  /** [tokens, features] the PEFT module's contribution s·B·A·x (adapter: its output). */
  delta: Tensor;
  /** [tokens, features] the frozen W·x + b (adapter: its input). */
  base: Tensor;
  /** [tokens] 1 for real tokens, 0 for padding (any non-zero counts as real). */
  tokenMask: Tensor;
  tokens: number;
  features: number;
  /** [1]: out = beta·out + mean ratio. */
  out: Tensor;
  beta: number;
  /** Overrides the device's choice (tests exercise both on every machine). */
  strategy?: ReductionStrategy;
}

/**
 * mean over tokens with tokenMask ≠ 0 of ‖delta[t,:]‖₂ / ‖base[t,:]‖₂, a NaN/inf ratio counting
 * as 0 (the token still counts in the mean); 0 when no token is real.
 * Two passes: one workgroup per token computes its ratio with coalesced reads across features
 * (so the whole GPU streams the two activations), then one workgroup averages the [tokens] ratios.
 * Serial: one invocation per token, then a single invocation averages.
 */
const ROW_LAYOUT = () => ({
  uniforms: ROW_PARAMS,
  storage: [readOnly('delta'), readOnly('base'), readOnly('tokenMask'), readWrite('ratios')],
});

const RATIO_ROWS = defineKernel({
  name: 'importanceRatio.rows',
  layout: ROW_LAYOUT,
  body: ({ threads }: { threads: number }) => importanceRatioRowsWgsl(threads),
});

const RATIO_ROWS_SERIAL = defineKernel({
  name: 'importanceRatio.rows.serial',
  layout: ROW_LAYOUT,
  body: ({ threads }: { threads: number }) => importanceRatioRowsSerialWgsl(threads),
});

/** `threads` 1 is the serial strategy: one invocation loops over every token. */
const RATIO_MEAN = defineKernel({
  name: 'importanceRatio.mean',
  layout: () => ({ uniforms: MEAN_PARAMS, storage: [readOnly('ratios'), readOnly('tokenMask'), readWrite('out')] }),
  body: ({ threads }: { threads: number }) => importanceRatioMeanWgsl(threads),
});

export function importanceRatio(ctx: GpuContext, args: ImportanceRatioArgs): void {
  const { tokens, features } = args;
  const serial = reductionStrategy(ctx, args.strategy) === 'serial';
  const ratios = ctx.empty([Math.max(1, tokens)], 'f32', 'importanceRatio scratch'); // [tokens]
  if (tokens > 0) {
    const rows = {
      uniforms: { tokens, features },
      buffers: { delta: args.delta, base: args.base, tokenMask: args.tokenMask, ratios },
    };
    if (serial) {
      RATIO_ROWS_SERIAL.dispatch(ctx, { threads: SERIAL_THREADS }, { ...rows, workgroups: grid1d(tokens, SERIAL_THREADS) });
    } else {
      const x = Math.min(tokens, MAX_WORKGROUPS_PER_DIM);
      RATIO_ROWS.dispatch(ctx, { threads: ROW_WORKGROUP }, { ...rows, workgroups: [x, Math.ceil(tokens / x)] });
    }
  }
  RATIO_MEAN.dispatch(ctx, { threads: serial ? 1 : MEAN_WORKGROUP }, {
    uniforms: { tokens, beta: args.beta },
    buffers: { ratios, tokenMask: args.tokenMask, out: args.out },
    workgroups: [1],
  });
  // Safe before the GPU runs: whoever reuses this buffer records or uploads after these dispatches.
  ratios.dispose();
}

const RATIO_HELPERS = /* wgsl */ `${WGSL_FINITE_OR_ZERO}
/** sums = (Σ delta², Σ base²) of a real token; 0 for padding. */
fn ratio_of(sums: vec2<f32>) -> f32 {
  var ratio = 0.0;
  if (sums.y > 0.0) { ratio = finite_or_zero(sqrt(sums.x) / sqrt(sums.y)); }
  return ratio;
}`;

function importanceRatioRowsWgsl(threads: number): string {
  return /* wgsl */ `${RATIO_HELPERS}
${workgroupSum2(threads)}

@compute @workgroup_size(${threads})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) tid: u32) {
  let t = wg.x + wg.y * nwg.x;
  let inRange = t < p.tokens;
  let real = inRange && tokenMask[t] != 0.0; // && short-circuits: no out-of-range read
  // Padding rows read nothing; every thread still reaches the barriers.
  let featureCount = select(0u, p.features, real);
  let row = t * p.features;
  var sums = vec2<f32>(0.0, 0.0);
  for (var f = tid; f < featureCount; f += ${threads}u) {
    let d = delta[row + f];
    let b = base[row + f];
    sums += vec2<f32>(d * d, b * b);
  }
  let total = workgroup_sum2(sums, tid); // (Σ delta², Σ base²)
  if (tid == 0u && inRange) { ratios[t] = ratio_of(total); }
}
`;
}

/** Serial twin: one invocation per token loops over its features. */
function importanceRatioRowsSerialWgsl(threads: number): string {
  return /* wgsl */ `${RATIO_HELPERS}

${flatIndexMain(threads)}
  let t = i;
  if (t >= p.tokens) { return; }
  var sums = vec2<f32>(0.0, 0.0);
  if (tokenMask[t] != 0.0) {
    let row = t * p.features;
    for (var f = 0u; f < p.features; f++) {
      let d = delta[row + f];
      let b = base[row + f];
      sums += vec2<f32>(d * d, b * b);
    }
  }
  ratios[t] = ratio_of(sums);
}
`;
}

function importanceRatioMeanWgsl(threads: number): string {
  return /* wgsl */ `${workgroupSum2(threads)}

@compute @workgroup_size(${threads})
fn main(@builtin(local_invocation_index) tid: u32) {
  var sums = vec2<f32>(0.0, 0.0);
  for (var t = tid; t < p.tokens; t += ${threads}u) {
    sums += vec2<f32>(ratios[t], select(0.0, 1.0, tokenMask[t] != 0.0));
  }
  let total = workgroup_sum2(sums, tid); // (Σ ratio, real-token count)
  if (tid == 0u) {
    var value = select(0.0, total.x / total.y, total.y > 0.0);
    if (p.beta != 0.0) { value += p.beta * out[0]; }
    out[0] = value;
  }
}
`;
}
