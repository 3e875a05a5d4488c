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
import { reductionStrategy, type ReductionStrategy } from './wgsl';
import { defineKernel, readOnly, readWrite } from './kernel';
import { treeReductionWgsl } from './wgsl-reduce';

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

/** `threads` 1 is the serial strategy: one invocation loops over the whole tensor. */
const SQUARED_SUM = defineKernel({
  name: 'squaredSum',
  layout: () => ({ uniforms: SUM_PARAMS, storage: [readOnly('x'), readWrite('partials')] }),
  body: ({ threads }: { threads: number }) => squaredSumWgsl(threads),
});

export function squaredSum(ctx: GpuContext, args: SquaredSumArgs): void {
  if (args.index >= args.partials.size) throw new Error(`squaredSum: index ${args.index} outside partials of ${args.partials.size}`);
  const strategy = reductionStrategy(ctx, args.strategy);
  SQUARED_SUM.dispatch(ctx, { threads: strategy === 'workgroup' ? THREADS : 1 }, {
    uniforms: { n: args.n, index: args.index },
    buffers: { x: args.x, partials: args.partials },
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

const CLIP_COEFFICIENT = defineKernel({
  name: 'clipCoefficient',
  layout: () => ({ uniforms: CLIP_PARAMS, storage: [readOnly('partials'), readWrite('out')] }),
  body: () => clipCoefficientWgsl(),
});

export function clipCoefficient(ctx: GpuContext, args: ClipCoefficientArgs): void {
  if (!(args.maxNorm > 0)) throw new Error(`clipCoefficient: maxNorm must be > 0, got ${args.maxNorm}`);
  CLIP_COEFFICIENT.dispatch(ctx, {}, {
    uniforms: { count: args.count, maxNorm: args.maxNorm },
    buffers: { partials: args.partials, out: args.out },
    workgroups: [1],
  });
}

function squaredSumWgsl(threads: number): string {
  return /* wgsl */ `${treeReductionWgsl({ name: 'workgroup_sum', op: 'sum', type: 'f32', threads })}

@compute @workgroup_size(${threads})
fn main(@builtin(local_invocation_index) lid: u32) {
  var sum = 0.0;
  for (var i = lid; i < p.n; i += ${threads}u) {
    let g = x[i];
    sum += g * g;
  }
  let total = workgroup_sum(sum, lid);
  if (lid == 0u) { partials[p.index] = total; }
}
`;
}

function clipCoefficientWgsl(): string {
  return /* wgsl */ `
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
