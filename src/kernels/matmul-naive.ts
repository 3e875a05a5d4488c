/**
 * Naive matmul, one thread per output element: C = A·B with A [M,K], B [K,N], C [M,N].
 * The baseline the tiled `matmul` is benchmarked against; nothing in the engine uses it.
 */
import type { GpuContext } from '../gpu/context';
import type { Tensor } from '../gpu/buffers';
import { packUniforms, uniformStruct } from './wgsl';

const WG = 16; // 16×16 threads a workgroup, each one output element

const PARAMS = { M: 'u32', N: 'u32', K: 'u32' } as const;

export interface MatmulNaiveArgs {
  a: Tensor; // [M,K]
  b: Tensor; // [K,N]
  out: Tensor; // [M,N], overwritten
  M: number;
  N: number;
  K: number;
}

export function matmulNaive(ctx: GpuContext, args: MatmulNaiveArgs): void {
  const { M, N, K } = args;
  ctx.dispatch({
    key: 'matmul-naive',
    code: matmulNaiveWgsl,
    uniforms: packUniforms(PARAMS, { M, N, K }),
    buffers: [args.a, args.b, args.out],
    workgroups: [Math.ceil(N / WG), Math.ceil(M / WG)],
  });
}

function matmulNaiveWgsl(): string {
  return /* wgsl */ `
${uniformStruct(PARAMS)}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;

@compute @workgroup_size(${WG}, ${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let n = gid.x;
  let m = gid.y;
  if (m >= p.M || n >= p.N) { return; }
  var sum = 0.0;
  for (var k = 0u; k < p.K; k++) {
    sum += a[m * p.K + k] * b[k * p.N + n];
  }
  c[m * p.N + n] = sum;
}
`;
}
