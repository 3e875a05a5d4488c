/**
 * Light-PEFT's L1 penalty on mask scalars (head or FFN masks):
 *   loss[0] += λ·Σ|mask|;  grad[i] += λ·sign(mask[i])  (sign(0) = 0, like torch).
 * No float atomics in WGSL, so one workgroup loops over all n and tree-reduces the sum.
 */
import type { GpuContext } from '../gpu/context';
import type { Tensor } from '../gpu/buffers';
import { defineKernel, readOnly, readWrite } from './kernel';
import { treeReductionWgsl } from './wgsl-reduce';

const WORKGROUP = 256;

const PARAMS = { n: 'u32', lambda: 'f32' } as const;

export interface MaskL1Args {
  /** [n] mask values. */
  mask: Tensor;
  /** [n] accumulated into (+=). */
  grad: Tensor;
  /** [1] accumulated into (+=). */
  loss: Tensor;
  n: number;
  lambda: number;
}

const MASK_L1 = defineKernel({
  name: 'maskL1',
  layout: () => ({ uniforms: PARAMS, storage: [readOnly('mask'), readWrite('grad'), readWrite('loss')] }),
  body: ({ threads }: { threads: number }) => maskL1Wgsl(threads),
});

export function maskL1(ctx: GpuContext, args: MaskL1Args): void {
  if (args.n === 0) return;
  MASK_L1.dispatch(ctx, { threads: WORKGROUP }, {
    uniforms: { n: args.n, lambda: args.lambda },
    buffers: { mask: args.mask, grad: args.grad, loss: args.loss },
    workgroups: [1],
  });
}

function maskL1Wgsl(threads: number): string {
  return /* wgsl */ `${treeReductionWgsl({ name: 'workgroup_sum', op: 'sum', type: 'f32', threads })}

@compute @workgroup_size(${threads})
fn main(@builtin(local_invocation_index) tid: u32) {
  var sum = 0.0;
  for (var i = tid; i < p.n; i += ${threads}u) {
    let x = mask[i];
    sum += abs(x);
    grad[i] += p.lambda * sign(x);
  }
  let total = workgroup_sum(sum, tid);
  if (tid == 0u) { loss[0] += p.lambda * total; }
}
`;
}
