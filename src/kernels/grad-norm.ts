/**
 * The step guard: global gradient-norm clipping (torch.nn.utils.clip_grad_norm_ semantics) and
 * the check that a step's loss and gradients are finite, without reading anything back:
 *   squaredSum: partials[index] = Σ g²   (one dispatch per gradient tensor, WRITTEN)
 *   stepGuard:  norm = sqrt(Σ partials); guard = [scale, norm, skip, firstBadStep, badLoss, badNorm]
 * AdamW multiplies each gradient by guard[0] as it reads it and leaves the tensor alone when
 * guard[2] is set (see adamw.ts `guard`). A non-finite loss or norm sets `skip` and records the
 * step; `skip` then stays set, so a diverged step and every step after it change nothing until
 * the trainer reads the guard back, reports the step and resets it (a rollback).
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
const GUARD_PARAMS = { count: 'u32', maxNorm: 'f32', step: 'u32' } as const;

/** The guard tensor's layout. */
export const GUARD = { scale: 0, norm: 1, skip: 2, firstBadStep: 3, badLoss: 4, badNorm: 5, size: 6 } as const;

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

export interface StepGuardArgs {
  /** [count] squared sums from squaredSum. */
  partials: Tensor;
  count: number;
  /** Clip the norm to this (torch's max_norm); 0: no clipping (the scale is 1). */
  maxNorm: number;
  /** [1] the step's loss. */
  loss: Tensor;
  /** The step's number (from 1), recorded when it is the first non-finite one. */
  step: number;
  /** [GUARD.size] updated: zeroed before the first step and after a rollback. */
  guard: Tensor;
}

const STEP_GUARD = defineKernel({
  name: 'stepGuard',
  layout: () => ({ uniforms: GUARD_PARAMS, storage: [readOnly('partials'), readOnly('loss'), readWrite('guard')] }),
  body: () => stepGuardWgsl(),
});

export function stepGuard(ctx: GpuContext, args: StepGuardArgs): void {
  if (!(args.maxNorm >= 0)) throw new Error(`stepGuard: maxNorm must be ≥ 0, got ${args.maxNorm}`);
  if (!(Number.isInteger(args.step) && args.step >= 1)) throw new Error(`stepGuard: step must be an integer ≥ 1, got ${args.step}`);
  if (args.guard.size < GUARD.size) throw new Error(`stepGuard: the guard needs ${GUARD.size} elements, got ${args.guard.size}`);
  STEP_GUARD.dispatch(ctx, {}, {
    uniforms: { count: args.count, maxNorm: args.maxNorm, step: args.step },
    buffers: { partials: args.partials, loss: args.loss, guard: args.guard },
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

// Finite by its bits (exponent not all ones): WGSL lets a compiler assume floats are finite, so
// isNan-style comparisons may be folded away.
function stepGuardWgsl(): string {
  return /* wgsl */ `
fn is_finite(x: f32) -> bool { return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u; }

@compute @workgroup_size(1)
fn main() {
  var total = 0.0;
  for (var i = 0u; i < p.count; i++) { total += partials[i]; }
  let norm = sqrt(total);
  let finite = is_finite(norm) && is_finite(loss[0]);
  if (!finite && guard[${GUARD.firstBadStep}] == 0.0) {
    guard[${GUARD.firstBadStep}] = f32(p.step);
    guard[${GUARD.badLoss}] = loss[0];
    guard[${GUARD.badNorm}] = norm;
  }
  let skip = guard[${GUARD.firstBadStep}] != 0.0;
  var scale = 1.0;
  if (p.maxNorm > 0.0) { scale = min(1.0, p.maxNorm / (norm + ${CLIP_EPSILON})); }
  guard[${GUARD.scale}] = select(scale, 0.0, skip);
  guard[${GUARD.norm}] = norm;
  guard[${GUARD.skip}] = select(0.0, 1.0, skip);
}
`;
}
