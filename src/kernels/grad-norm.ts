/**
 * Global gradient-norm clipping, torch.nn.utils.clip_grad_norm_ semantics, without reading
 * anything back:
 *   squaredSum:      partials[index] = Σ g²            (one dispatch per gradient tensor, WRITTEN)
 *   clipCoefficient: norm = sqrt(Σ partials);  out = [min(1, maxNorm / (norm + 1e-6)), norm]
 * AdamW then multiplies each gradient by out[0] as it reads it (see adamw.ts `gradScale`).
 *
 * Each sum runs in one workgroup (no float atomics in WGSL). Two strategies, chosen by device:
 * `workgroup` (GPUs) strides 256 threads over the tensor and tree-reduces; `serial`
 * (CPU-emulated WebGPU, where barriers are slow) loops in one invocation.
 */
import type { GpuContext } from '../gpu/context';
import type { Tensor } from '../gpu/buffers';
import { packUniforms, reductionStrategy, uniformStruct, type ReductionStrategy } from './wgsl';

const THREADS = 256;
/** torch's clip_grad_norm_ adds this to the norm before dividing. */
export const CLIP_EPSILON = 1e-6;

const SUM_PARAMS = { n: 'u32', index: 'u32' } as const;
const CLIP_PARAMS = { count: 'u32', maxNorm: 'f32' } as const;

export interface SquaredSumArgs {
  /** [n] read. */
  x: Tensor;
  n: number;
  /** [> index]: element `index` is written with Σ x². */
  partials: Tensor;
  index: number;
  strategy?: ReductionStrategy;
}

export function squaredSum(ctx: GpuContext, args: SquaredSumArgs): void {
  if (args.index >= args.partials.size) throw new Error(`squaredSum: index ${args.index} outside partials of ${args.partials.size}`);
  const strategy = reductionStrategy(ctx, args.strategy);
  const threads = strategy === 'workgroup' ? THREADS : 1;
  ctx.dispatch({
    key: `squaredSum:${threads}`,
    code: () => squaredSumWgsl(threads),
    uniforms: packUniforms(SUM_PARAMS, { n: args.n, index: args.index }),
    buffers: [args.x, args.partials],
    workgroups: [1],
  });
}

export interface ClipCoefficientArgs {
  /** [count] squared sums from squaredSum. */
  partials: Tensor;
  count: number;
  maxNorm: number;
  /** [2] written: [clip coefficient, global norm]. */
  out: Tensor;
}

export function clipCoefficient(ctx: GpuContext, args: ClipCoefficientArgs): void {
  if (!(args.maxNorm > 0)) throw new Error(`clipCoefficient: maxNorm must be > 0, got ${args.maxNorm}`);
  ctx.dispatch({
    key: 'clipCoefficient',
    code: clipCoefficientWgsl,
    uniforms: packUniforms(CLIP_PARAMS, { count: args.count, maxNorm: args.maxNorm }),
    buffers: [args.partials, args.out],
    workgroups: [1],
  });
}

function squaredSumWgsl(threads: number): string {
  const reduce =
    threads === 1
      ? 'partials[p.index] = sum;'
      : `scratch[lid] = sum;
  workgroupBarrier();
  for (var stride = ${threads / 2}u; stride > 0u; stride >>= 1u) {
    if (lid < stride) { scratch[lid] += scratch[lid + stride]; }
    workgroupBarrier();
  }
  if (lid == 0u) { partials[p.index] = scratch[0]; }`;
  return /* wgsl */ `
${uniformStruct(SUM_PARAMS)}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> partials: array<f32>;

${threads === 1 ? '' : `var<workgroup> scratch: array<f32, ${threads}>;`}

@compute @workgroup_size(${threads})
fn main(@builtin(local_invocation_index) lid: u32) {
  var sum = 0.0;
  for (var i = lid; i < p.n; i += ${threads}u) {
    let g = x[i];
    sum += g * g;
  }
  ${reduce}
}
`;
}

function clipCoefficientWgsl(): string {
  return /* wgsl */ `
${uniformStruct(CLIP_PARAMS)}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> partials: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(1)
fn main() {
  var total = 0.0;
  for (var i = 0u; i < p.count; i++) { total += partials[i]; }
  let norm = sqrt(total);
  out[0] = min(1.0, p.maxNorm / (norm + ${CLIP_EPSILON}));
  out[1] = norm;
}
`;
}
