/**
 * Tiled, register-blocked matmul: C[b] = act(alpha · op(A[b]) · op(B[b]) + bias) + beta · C[b].
 * op(A) is [M,K] (A stored [K,M] when transA), op(B) is [K,N] (B stored [N,K] when transB).
 * A workgroup of 16×16 threads computes a 64×64 tile, each thread a 4×4 block held in registers.
 * beta = 1 accumulates into C (gradients, convention 5); a batch stride of 0 broadcasts.
 * Backward of C = A·Bᵀ (the linear layer): dA = dC·B, dB = dCᵀ·A — both are calls of this kernel.
 */
import type { GpuContext } from '../engine/gpu/context';
import type { Tensor } from '../engine/gpu/buffers';
import { packUniforms, uniformStruct } from './wgsl';
import { WGSL_GELU, applyActivation, type Activation } from './wgsl-math';

const TILE = 64;
const TILE_K = 16;
const THREADS = 16; // per side; each thread owns a 4×4 block of the 64×64 tile

const PARAMS = {
  M: 'u32',
  N: 'u32',
  K: 'u32',
  strideA: 'u32',
  strideB: 'u32',
  strideC: 'u32',
  alpha: 'f32',
  beta: 'f32',
} as const;

export interface MatmulArgs {
  a: Tensor;
  b: Tensor;
  out: Tensor;
  M: number;
  N: number;
  K: number;
  transA?: boolean;
  transB?: boolean;
  /** Batches of independent products; strides are in elements (0 broadcasts that operand). */
  batch?: number;
  strideA?: number;
  strideB?: number;
  strideC?: number;
  /** [N], added to every row before the activation. */
  bias?: Tensor;
  alpha?: number;
  /** 0 overwrites C, 1 accumulates into it. */
  beta?: number;
  activation?: Activation;
}

export function matmul(ctx: GpuContext, args: MatmulArgs): void {
  const { M, N, K, transA = false, transB = false, batch = 1, activation = 'none' } = args;
  const hasBias = args.bias !== undefined;
  const beta = args.beta ?? 0;
  const accumulate = beta !== 0;
  const key = `matmul:${+transA}${+transB}:${+hasBias}:${+accumulate}:${activation}`;
  const buffers = [args.a, args.b, args.out];
  if (args.bias) buffers.push(args.bias);
  ctx.dispatch({
    key,
    code: () => matmulWgsl(transA, transB, hasBias, accumulate, activation),
    uniforms: packUniforms(PARAMS, {
      M,
      N,
      K,
      strideA: args.strideA ?? M * K,
      strideB: args.strideB ?? K * N,
      strideC: args.strideC ?? M * N,
      alpha: args.alpha ?? 1,
      beta,
    }),
    buffers,
    workgroups: [Math.ceil(N / TILE), Math.ceil(M / TILE), batch],
  });
}

function matmulWgsl(transA: boolean, transB: boolean, hasBias: boolean, accumulate: boolean, activation: Activation): string {
  // Each thread loads TILE*TILE_K / 256 = 4 elements of each operand tile, walking the stored
  // layout's contiguous dimension with consecutive threads.
  const loadA = transA
    ? `let mm = e % ${TILE}u; let kk = e / ${TILE}u; let gm = row0 + mm; let gk = k0 + kk;
       if (gm < p.M && gk < p.K) { v = a[offA + gk * p.M + gm]; }`
    : `let kk = e % ${TILE_K}u; let mm = e / ${TILE_K}u; let gm = row0 + mm; let gk = k0 + kk;
       if (gm < p.M && gk < p.K) { v = a[offA + gm * p.K + gk]; }`;
  const loadB = transB
    ? `let kk = e % ${TILE_K}u; let nn = e / ${TILE_K}u; let gn = col0 + nn; let gk = k0 + kk;
       if (gn < p.N && gk < p.K) { v = b[offB + gn * p.K + gk]; }`
    : `let nn = e % ${TILE}u; let kk = e / ${TILE}u; let gn = col0 + nn; let gk = k0 + kk;
       if (gn < p.N && gk < p.K) { v = b[offB + gk * p.N + gn]; }`;
  let value = 'p.alpha * acc[i * 4u + j]';
  if (hasBias) value = `(${value} + bias[gn])`;
  value = applyActivation(activation, value);
  if (accumulate) value = `${value} + p.beta * c[idx]`;
  return /* wgsl */ `
${uniformStruct(PARAMS)}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;
${hasBias ? '@group(0) @binding(4) var<storage, read> bias: array<f32>;' : ''}
${activation === 'gelu' ? WGSL_GELU : ''}

var<workgroup> tileA: array<f32, ${TILE * TILE_K}>; // [k][m]
var<workgroup> tileB: array<f32, ${TILE * TILE_K}>; // [k][n]

@compute @workgroup_size(${THREADS}, ${THREADS})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let row0 = wg.y * ${TILE}u;
  let col0 = wg.x * ${TILE}u;
  let offA = wg.z * p.strideA;
  let offB = wg.z * p.strideB;
  let offC = wg.z * p.strideC;
  let tid = lid.y * ${THREADS}u + lid.x;
  var acc: array<f32, 16>;
  for (var k0 = 0u; k0 < p.K; k0 += ${TILE_K}u) {
    for (var l = 0u; l < 4u; l++) {
      let e = tid + l * ${THREADS * THREADS}u;
      var v = 0.0;
      ${loadA}
      tileA[kk * ${TILE}u + mm] = v;
    }
    for (var l = 0u; l < 4u; l++) {
      let e = tid + l * ${THREADS * THREADS}u;
      var v = 0.0;
      ${loadB}
      tileB[kk * ${TILE}u + nn] = v;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < ${TILE_K}u; kk++) {
      var av: array<f32, 4>;
      var bv: array<f32, 4>;
      for (var i = 0u; i < 4u; i++) { av[i] = tileA[kk * ${TILE}u + lid.y * 4u + i]; }
      for (var j = 0u; j < 4u; j++) { bv[j] = tileB[kk * ${TILE}u + lid.x * 4u + j]; }
      for (var i = 0u; i < 4u; i++) {
        for (var j = 0u; j < 4u; j++) { acc[i * 4u + j] += av[i] * bv[j]; }
      }
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < 4u; i++) {
    let gm = row0 + lid.y * 4u + i;
    if (gm >= p.M) { continue; }
    for (var j = 0u; j < 4u; j++) {
      let gn = col0 + lid.x * 4u + j;
      if (gn >= p.N) { continue; }
      let idx = offC + gm * p.N + gn;
      c[idx] = ${value};
    }
  }
}
`;
}
