/**
 * Naive matmul, one thread per output element: C = A·B with A [M,K], B [K,N], C [M,N].
 * The baseline the tiled `matmul` is benchmarked against; nothing in the engine uses it.
 */
import type { GpuContext } from '../gpu/context';
import type { Tensor } from '../gpu/buffers';
import { defineKernel, readOnly, readWrite } from './kernel';

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

/** `side`: the workgroup is side × side threads, one output element each. */
const MATMUL_NAIVE = defineKernel({
  name: 'matmulNaive',
  layout: () => ({ uniforms: PARAMS, storage: [readOnly('a'), readOnly('b'), readWrite('c')] }),
  body: ({ side }: { side: number }) => matmulNaiveWgsl(side),
});

export function matmulNaive(ctx: GpuContext, args: MatmulNaiveArgs): void {
  const { M, N, K } = args;
  MATMUL_NAIVE.dispatch(ctx, { side: WG }, {
    uniforms: { M, N, K },
    buffers: { a: args.a, b: args.b, c: args.out },
    workgroups: [Math.ceil(N / WG), Math.ceil(M / WG)],
  });
}

function matmulNaiveWgsl(side: number): string {
  return /* wgsl */ `
@compute @workgroup_size(${side}, ${side})
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
