/**
 * Light-PEFT's L1 penalty on mask scalars (head or FFN masks):
 *   loss[0] += λ·Σ|mask|;  grad[i] += λ·sign(mask[i])  (sign(0) = 0, like torch).
 * No float atomics in WGSL, so one workgroup loops over all n and tree-reduces the sum.
 */
import type { GpuContext } from '../gpu/context';
import type { Tensor } from '../gpu/buffers';
import { packUniforms, uniformStruct } from './wgsl';

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

export function maskL1(ctx: GpuContext, args: MaskL1Args): void {
  if (args.n === 0) return;
  ctx.dispatch({
    key: 'maskL1',
    code: maskL1Wgsl,
    uniforms: packUniforms(PARAMS, { n: args.n, lambda: args.lambda }),
    buffers: [args.mask, args.grad, args.loss],
    workgroups: [1],
  });
}

function maskL1Wgsl(): string {
  return /* wgsl */ `
${uniformStruct(PARAMS)}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> mask: array<f32>;
@group(0) @binding(2) var<storage, read_write> grad: array<f32>;
@group(0) @binding(3) var<storage, read_write> loss: array<f32>;

var<workgroup> partial: array<f32, ${WORKGROUP}>;

@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(local_invocation_index) tid: u32) {
  var sum = 0.0;
  for (var i = tid; i < p.n; i += ${WORKGROUP}u) {
    let x = mask[i];
    sum += abs(x);
    grad[i] += p.lambda * sign(x);
  }
  partial[tid] = sum;
  workgroupBarrier();
  for (var stride = ${WORKGROUP / 2}u; stride > 0u; stride >>= 1u) {
    if (tid < stride) { partial[tid] += partial[tid + stride]; }
    workgroupBarrier();
  }
  if (tid == 0u) { loss[0] += p.lambda * partial[0]; }
}
`;
}
