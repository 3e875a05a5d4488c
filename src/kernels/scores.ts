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
import { flatIndexMain, grid1d, packUniforms, uniformStruct, reductionStrategy, type ReductionStrategy } from './wgsl';

const RANK_WORKGROUP = 64;
const ROW_WORKGROUP = 64;
const MEAN_WORKGROUP = 256;
const SERIAL_THREADS = 64;
const MAX_WORKGROUPS_PER_DIM = 65535;

/** WGSL: x, or 0 when x is NaN or ±inf (bit test, immune to fast-math assumptions). */
const WGSL_FINITE_OR_ZERO = /* wgsl */ `
fn finite_or_zero(x: f32) -> f32 {
  return select(x, 0.0, (bitcast<u32>(x) & 0x7f800000u) == 0x7f800000u);
}`;

/** WGSL tree reduction of a vec2 workgroup array of `size` (a power of two); result in [0]. */
function treeReduce(array: string, size: number): string {
  return `workgroupBarrier();
  for (var stride = ${size / 2}u; stride > 0u; stride >>= 1u) {
    if (tid < stride) { ${array}[tid] += ${array}[tid + stride]; }
    workgroupBarrier();
  }`;
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

/** score[r] = |mean_j(A[r,j]·∂A[r,j])| + |mean_i(B[i,r]·∂B[i,r])|. One workgroup per rank. */
export function rankScores(ctx: GpuContext, args: RankScoresArgs): void {
  const { rank, inFeatures, outFeatures } = args;
  if (rank === 0) return;
  if (inFeatures === 0 || outFeatures === 0) throw new Error('rankScores: inFeatures and outFeatures must be positive');
  const serial = reductionStrategy(ctx, args.strategy) === 'serial';
  ctx.dispatch({
    key: serial ? 'rankScores:serial' : 'rankScores',
    code: serial ? rankScoresSerialWgsl : rankScoresWgsl,
    uniforms: packUniforms(RANK_PARAMS, { rank, inFeatures, outFeatures, beta: args.beta }),
    buffers: [args.a, args.gradA, args.b, args.gradB, args.out],
    workgroups: serial ? grid1d(rank, SERIAL_THREADS) : [rank],
  });
}

const RANK_BINDINGS = /* wgsl */ `
${uniformStruct(RANK_PARAMS)}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> gradA: array<f32>;
@group(0) @binding(3) var<storage, read> b: array<f32>;
@group(0) @binding(4) var<storage, read> gradB: array<f32>;
@group(0) @binding(5) var<storage, read_write> out: array<f32>;
`;

/** score = |ΣA·∂A / in| + |ΣB·∂B / out|, then out = score + beta·out. */
const RANK_STORE = /* wgsl */ `
fn store_score(r: u32, total: vec2<f32>) {
  var score = abs(total.x / f32(p.inFeatures)) + abs(total.y / f32(p.outFeatures));
  if (p.beta != 0.0) { score += p.beta * out[r]; }
  out[r] = score;
}`;

function rankScoresWgsl(): string {
  return /* wgsl */ `${RANK_BINDINGS}${RANK_STORE}

var<workgroup> partial: array<vec2<f32>, ${RANK_WORKGROUP}>; // (Σ_j A·∂A, Σ_i B·∂B)

@compute @workgroup_size(${RANK_WORKGROUP})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) tid: u32) {
  let r = wg.x;
  var sumA = 0.0;
  for (var j = tid; j < p.inFeatures; j += ${RANK_WORKGROUP}u) {
    let idx = r * p.inFeatures + j;
    sumA += a[idx] * gradA[idx];
  }
  var sumB = 0.0;
  for (var i = tid; i < p.outFeatures; i += ${RANK_WORKGROUP}u) {
    let idx = i * p.rank + r;
    sumB += b[idx] * gradB[idx];
  }
  partial[tid] = vec2<f32>(sumA, sumB);
  ${treeReduce('partial', RANK_WORKGROUP)}
  if (tid == 0u) { store_score(r, partial[0]); }
}
`;
}

/** Serial twin: one invocation per rank loops over both matrices. */
function rankScoresSerialWgsl(): string {
  return /* wgsl */ `${RANK_BINDINGS}${RANK_STORE}

${flatIndexMain(SERIAL_THREADS)}
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
export function importanceRatio(ctx: GpuContext, args: ImportanceRatioArgs): void {
  const { tokens, features } = args;
  const serial = reductionStrategy(ctx, args.strategy) === 'serial';
  const ratios = ctx.empty([Math.max(1, tokens)], 'f32', 'importanceRatio scratch'); // [tokens]
  if (tokens > 0) {
    const x = Math.min(tokens, MAX_WORKGROUPS_PER_DIM);
    ctx.dispatch({
      key: serial ? 'importanceRatio:rows:serial' : 'importanceRatio:rows',
      code: serial ? importanceRatioRowsSerialWgsl : importanceRatioRowsWgsl,
      uniforms: packUniforms(ROW_PARAMS, { tokens, features }),
      buffers: [args.delta, args.base, args.tokenMask, ratios],
      workgroups: serial ? grid1d(tokens, SERIAL_THREADS) : [x, Math.ceil(tokens / x)],
    });
  }
  ctx.dispatch({
    key: serial ? 'importanceRatio:mean:serial' : 'importanceRatio:mean',
    code: () => importanceRatioMeanWgsl(serial ? 1 : MEAN_WORKGROUP),
    uniforms: packUniforms(MEAN_PARAMS, { tokens, beta: args.beta }),
    buffers: [ratios, args.tokenMask, args.out],
    workgroups: [1],
  });
  // Safe before the GPU runs: whoever reuses this buffer records or uploads after these dispatches.
  ratios.dispose();
}

const ROW_BINDINGS = /* wgsl */ `
${uniformStruct(ROW_PARAMS)}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> delta: array<f32>;
@group(0) @binding(2) var<storage, read> base: array<f32>;
@group(0) @binding(3) var<storage, read> tokenMask: array<f32>;
@group(0) @binding(4) var<storage, read_write> ratios: array<f32>;
${WGSL_FINITE_OR_ZERO}
/** sums = (Σ delta², Σ base²) of a real token; 0 for padding. */
fn ratio_of(sums: vec2<f32>) -> f32 {
  var ratio = 0.0;
  if (sums.y > 0.0) { ratio = finite_or_zero(sqrt(sums.x) / sqrt(sums.y)); }
  return ratio;
}`;

function importanceRatioRowsWgsl(): string {
  return /* wgsl */ `${ROW_BINDINGS}

var<workgroup> partial: array<vec2<f32>, ${ROW_WORKGROUP}>; // (Σ delta², Σ base²)

@compute @workgroup_size(${ROW_WORKGROUP})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) tid: u32) {
  let t = wg.x + wg.y * nwg.x;
  let inRange = t < p.tokens;
  let real = inRange && tokenMask[t] != 0.0; // && short-circuits: no out-of-range read
  // Padding rows read nothing; every thread still reaches the barriers.
  let featureCount = select(0u, p.features, real);
  let row = t * p.features;
  var sums = vec2<f32>(0.0, 0.0);
  for (var f = tid; f < featureCount; f += ${ROW_WORKGROUP}u) {
    let d = delta[row + f];
    let b = base[row + f];
    sums += vec2<f32>(d * d, b * b);
  }
  partial[tid] = sums;
  ${treeReduce('partial', ROW_WORKGROUP)}
  if (tid == 0u && inRange) { ratios[t] = ratio_of(partial[0]); }
}
`;
}

/** Serial twin: one invocation per token loops over its features. */
function importanceRatioRowsSerialWgsl(): string {
  return /* wgsl */ `${ROW_BINDINGS}

${flatIndexMain(SERIAL_THREADS)}
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

/** `threads` 1 is the serial strategy: the loop covers every token and the reduction vanishes. */
function importanceRatioMeanWgsl(threads: number): string {
  return /* wgsl */ `
${uniformStruct(MEAN_PARAMS)}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> ratios: array<f32>;
@group(0) @binding(2) var<storage, read> tokenMask: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

${threads === 1 ? '' : `var<workgroup> partial: array<vec2<f32>, ${threads}>; // (Σ ratio, real-token count)`}

@compute @workgroup_size(${threads})
fn main(@builtin(local_invocation_index) tid: u32) {
  var sums = vec2<f32>(0.0, 0.0);
  for (var t = tid; t < p.tokens; t += ${threads}u) {
    sums += vec2<f32>(ratios[t], select(0.0, 1.0, tokenMask[t] != 0.0));
  }
  ${threads === 1 ? 'let total = sums;' : `partial[tid] = sums;
  ${treeReduce('partial', threads)}`}
  if (tid == 0u) {
    ${threads === 1 ? '' : 'let total = partial[0];'}
    var value = select(0.0, total.x / total.y, total.y > 0.0);
    if (p.beta != 0.0) { value += p.beta * out[0]; }
    out[0] = value;
  }
}
`;
}
