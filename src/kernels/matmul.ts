/**
 * Tiled, register-blocked matmul: C[b] = act(alpha · op(A[b]) · op(B[b]) + bias) + beta · C[b].
 * op(A) is [M,K] (A stored [K,M] when transA), op(B) is [K,N] (B stored [N,K] when transB).
 * Two strategies, both with a 64×64 output tile per workgroup, chosen by the device:
 * - `shared` (GPUs): 16×16 threads stage 64×16 slices of A and B in workgroup memory; each thread
 *   accumulates a 4×4 block in registers.
 * - `registers` (CPU-emulated WebGPU such as SwiftShader, where workgroup memory and barriers are
 *   slow): 8×8 threads each accumulate an 8×8 block reading A and B straight from memory, whose
 *   caches do the reuse. Measured on SwiftShader (512³): 2.7 vs 0.9 GFLOP/s.
 *   When op(A)·op(B) is "NT" (A [M,K], B stored [N,K]: the linear layer's forward X·Wᵀ) and K and
 *   the batch strides are multiples of 4, A and B are bound as vec4 arrays and k steps by 4 with
 *   dot products (`vec4Applies`): 1.25–1.6× faster on SwiftShader (768–2048 rows, K and N 256–1024).
 *   vec4 or dot-product variants for NN and TN measured only 1.0–1.3×, so they keep the scalar loop.
 * beta = 1 accumulates into C: parameter gradients are summed with += into buffers zeroed before
 * each step (docs/ARCHITECTURE.md, "Conventions"). A batch stride of 0 broadcasts that operand.
 * Backward of C = A·Bᵀ (the linear layer): dA = dC·B, dB = dCᵀ·A — both are calls of this kernel.
 */
import type { GpuContext } from '../gpu/context';
import type { Tensor } from '../gpu/buffers';
import { WGSL_GELU, applyActivation, type Activation } from './wgsl-math';
import { defineKernel, readOnly, readWrite } from './kernel';

/** Output tile side of a workgroup (both strategies). */
const TILE = 64;
/** `shared`: k-slice staged in workgroup memory per step. */
const TILE_K = 16;

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
  /** Overrides the device's choice (tests exercise both on every machine). */
  strategy?: MatmulStrategy;
  /** `registers` only: false forces the scalar loop where the vec4 path would apply (tests). */
  vec4?: boolean;
}

export type MatmulStrategy = 'shared' | 'registers';

/**
 * Whether the `registers` strategy can read A and B as vec4 along k: layout NT, K a multiple of 4,
 * and every vec4 starting on a 4-element boundary (batch strides multiples of 4; tensors are bound
 * from offset 0 of their own buffer).
 */
export function vec4Applies(args: Pick<MatmulArgs, 'M' | 'N' | 'K' | 'transA' | 'transB' | 'strideA' | 'strideB'>): boolean {
  const { M, N, K, transA = false, transB = false } = args;
  const strideA = args.strideA ?? M * K;
  const strideB = args.strideB ?? K * N;
  // Empty operands stay scalar: a vec4 array binding must hold at least one vec4.
  const nonEmpty = M > 0 && N > 0 && K > 0;
  return !transA && transB && nonEmpty && K % 4 === 0 && strideA % 4 === 0 && strideB % 4 === 0;
}

/** Flags every strategy's code depends on. */
type Epilogue = { bias: boolean; accumulate: boolean; activation: Activation };
/** `shared`: each of the (tile/4)² threads owns a 4×4 block; k advances by tileK. */
type SharedConstants = Epilogue & { transA: boolean; transB: boolean; tile: number; tileK: number };
/** `registers`: each of the (tile/8)² threads owns an 8×8 block. */
type RegistersConstants = Epilogue & { transA: boolean; transB: boolean; tile: number };
type RegistersVec4Constants = Epilogue & { tile: number };

/** a, b (scalar or vec4 along k), c, and the optional bias. */
function matmulLayout(operand: 'f32' | 'vec4<f32>') {
  return ({ bias }: Epilogue) => ({
    uniforms: PARAMS,
    storage: [readOnly('a', operand), readOnly('b', operand), readWrite('c'), ...(bias ? [readOnly('bias')] : [])],
  });
}

const SHARED = defineKernel({ name: 'matmul.shared', layout: matmulLayout('f32'), body: sharedWgsl });
const REGISTERS = defineKernel({ name: 'matmul.registers', layout: matmulLayout('f32'), body: registersWgsl });
const REGISTERS_VEC4_NT = defineKernel({ name: 'matmul.registers.vec4NT', layout: matmulLayout('vec4<f32>'), body: registersVec4NTWgsl });

export function matmul(ctx: GpuContext, args: MatmulArgs): void {
  const { M, N, K, transA = false, transB = false, batch = 1, activation = 'none' } = args;
  const beta = args.beta ?? 0;
  const epilogue: Epilogue = { bias: args.bias !== undefined, accumulate: beta !== 0, activation };
  const strategy = args.strategy ?? (ctx.prefersRegisterBlocking ? 'registers' : 'shared');
  const vec4 = strategy === 'registers' && args.vec4 !== false && vec4Applies(args);
  const buffers: Record<string, Tensor> = { a: args.a, b: args.b, c: args.out };
  if (args.bias) buffers.bias = args.bias;
  const run = {
    uniforms: {
      M,
      N,
      K,
      strideA: args.strideA ?? M * K,
      strideB: args.strideB ?? K * N,
      strideC: args.strideC ?? M * N,
      alpha: args.alpha ?? 1,
      beta,
    },
    buffers,
    workgroups: [Math.ceil(N / TILE), Math.ceil(M / TILE), batch] as const,
  };
  if (strategy === 'shared') SHARED.dispatch(ctx, { ...epilogue, transA, transB, tile: TILE, tileK: TILE_K }, run);
  else if (vec4) REGISTERS_VEC4_NT.dispatch(ctx, { ...epilogue, tile: TILE }, run);
  else REGISTERS.dispatch(ctx, { ...epilogue, transA, transB, tile: TILE }, run);
}

/** The helper functions both strategies declare. */
function helpersWgsl(activation: Activation): string {
  return activation === 'gelu' ? WGSL_GELU : '';
}

/** WGSL storing one output element `acc` at column `col` of the row starting at `rowBase`. */
function storeElementWgsl(acc: string, col: string, { bias, accumulate, activation }: Epilogue): string {
  let value = `p.alpha * ${acc}`;
  if (bias) value = `(${value} + bias[${col}])`;
  value = applyActivation(activation, value);
  const idx = `rowBase + ${col}`;
  if (accumulate) value = `${value} + p.beta * c[${idx}]`;
  return `if (${col} < p.N) { c[${idx}] = ${value}; }`;
}

function sharedWgsl(c: SharedConstants): string {
  const { transA, transB, tile, tileK } = c;
  const threads = tile / 4; // per side: each thread owns a 4×4 block of the tile
  // Each thread loads tile·tileK / threads² (64·16 / 256 = 4) elements of each operand tile,
  // walking the stored layout's contiguous dimension with consecutive threads.
  const loadA = transA
    ? `let mm = e % ${tile}u; let kk = e / ${tile}u; let gm = row0 + mm; let gk = k0 + kk;
       if (gm < p.M && gk < p.K) { v = a[offA + gk * p.M + gm]; }`
    : `let kk = e % ${tileK}u; let mm = e / ${tileK}u; let gm = row0 + mm; let gk = k0 + kk;
       if (gm < p.M && gk < p.K) { v = a[offA + gm * p.K + gk]; }`;
  const loadB = transB
    ? `let kk = e % ${tileK}u; let nn = e / ${tileK}u; let gn = col0 + nn; let gk = k0 + kk;
       if (gn < p.N && gk < p.K) { v = b[offB + gn * p.K + gk]; }`
    : `let nn = e % ${tile}u; let kk = e / ${tile}u; let gn = col0 + nn; let gk = k0 + kk;
       if (gn < p.N && gk < p.K) { v = b[offB + gk * p.N + gn]; }`;
  // The 4×4 block lives in four vec4 registers; the code is unrolled at generation time, because
  // dynamically indexed private arrays end up in memory on some backends (SwiftShader: 10× slower).
  const storeRow = (i: number) => {
    const lines = [0, 1, 2, 3].map((j) => `    ${storeElementWgsl(`acc${i}.${'xyzw'[j]}`, `col + ${j}u`, c)}`);
    return `  if (row0 + lid.y * 4u + ${i}u < p.M) {
    let rowBase = offC + (row0 + lid.y * 4u + ${i}u) * p.N;
${lines.join('\n')}
  }`;
  };
  return /* wgsl */ `
${helpersWgsl(c.activation)}

// Tiles as [k][4 consecutive rows (or columns)]: one vec4 read gives a thread its 4 rows at step k.
var<workgroup> tileA: array<vec4<f32>, ${(tile * tileK) / 4}>;
var<workgroup> tileB: array<vec4<f32>, ${(tile * tileK) / 4}>;

@compute @workgroup_size(${threads}, ${threads})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let row0 = wg.y * ${tile}u;
  let col0 = wg.x * ${tile}u;
  let offA = wg.z * p.strideA;
  let offB = wg.z * p.strideB;
  let offC = wg.z * p.strideC;
  let tid = lid.y * ${threads}u + lid.x;
  var acc0 = vec4<f32>();
  var acc1 = vec4<f32>();
  var acc2 = vec4<f32>();
  var acc3 = vec4<f32>();
  for (var k0 = 0u; k0 < p.K; k0 += ${tileK}u) {
    for (var l = 0u; l < ${(tile * tileK) / (threads * threads)}u; l++) {
      let e = tid + l * ${threads * threads}u;
      var v = 0.0;
      ${loadA}
      tileA[kk * ${tile / 4}u + mm / 4u][mm % 4u] = v;
    }
    for (var l = 0u; l < ${(tile * tileK) / (threads * threads)}u; l++) {
      let e = tid + l * ${threads * threads}u;
      var v = 0.0;
      ${loadB}
      tileB[kk * ${tile / 4}u + nn / 4u][nn % 4u] = v;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < ${tileK}u; kk++) {
      let av = tileA[kk * ${tile / 4}u + lid.y];
      let bv = tileB[kk * ${tile / 4}u + lid.x];
      acc0 += av.x * bv;
      acc1 += av.y * bv;
      acc2 += av.z * bv;
      acc3 += av.w * bv;
    }
    workgroupBarrier();
  }
  let col = col0 + lid.x * 4u;
${[0, 1, 2, 3].map(storeRow).join('\n')}
}
`;
}

const REG_ROWS = 8;
const REG_COLS = 8; // two vec4 per row; the code below is unrolled for these two

function registersWgsl(c: RegistersConstants): string {
  const { transA, transB } = c;
  // Out-of-range rows and columns read a clamped (valid) address and are dropped at the store,
  // so the inner loop has no branches.
  const aAt = (r: string) => (transA ? `a[offA + k * p.M + ${r}]` : `a[offA + ${r} * p.K + k]`);
  const bAt = (c: string) => (transB ? `b[offB + ${c} * p.K + k]` : `b[offB + k * p.N + ${c}]`);
  const rows = [...Array(REG_ROWS).keys()];
  const vecs = [0, 1];
  const decls = rows.flatMap((r) => vecs.map((v) => `var acc${r}_${v} = vec4<f32>();`));
  const body: string[] = [];
  for (const v of vecs) {
    body.push(`let b${v} = vec4<f32>(${[0, 1, 2, 3].map((j) => bAt(`cols[${v * 4 + j}]`)).join(', ')});`);
  }
  for (const r of rows) {
    body.push(`let a${r} = ${aAt(`rows[${r}]`)};`);
    for (const v of vecs) body.push(`acc${r}_${v} += a${r} * b${v};`);
  }
  return /* wgsl */ `
${helpersWgsl(c.activation)}

${registersHeadWgsl(c.tile)}
  let offA = wg.z * p.strideA;
  let offB = wg.z * p.strideB;
  let offC = wg.z * p.strideC;
  var rows: array<u32, ${REG_ROWS}>;
  var cols: array<u32, ${REG_COLS}>;
  for (var i = 0u; i < ${REG_ROWS}u; i++) { rows[i] = min(row + i, p.M - 1u); }
  for (var j = 0u; j < ${REG_COLS}u; j++) { cols[j] = min(col + j, p.N - 1u); }
  ${decls.join('\n  ')}
  for (var k = 0u; k < p.K; k++) {
    ${body.join('\n    ')}
  }
${registersStoresWgsl(c)}
}
`;
}

/** Entry point of both `registers` kernels: this invocation's 8×8 block of the tile starts at (row, col). */
function registersHeadWgsl(tile: number): string {
  return `@compute @workgroup_size(${tile / REG_COLS}, ${tile / REG_ROWS})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let row = wg.y * ${tile}u + lid.y * ${REG_ROWS}u;
  let col = wg.x * ${tile}u + lid.x * ${REG_COLS}u;
  if (row >= p.M || col >= p.N) { return; }`;
}

/** Epilogue of both `registers` kernels: accumulators acc{r}_{v} (row r, columns 4v..4v+3). */
function registersStoresWgsl(epilogue: Epilogue): string {
  const stores: string[] = [];
  for (let r = 0; r < REG_ROWS; r++) {
    const lines: string[] = [];
    for (let v = 0; v < REG_COLS / 4; v++) {
      for (let j = 0; j < 4; j++) {
        lines.push(`    ${storeElementWgsl(`acc${r}_${v}.${'xyzw'[j]}`, `col + ${v * 4 + j}u`, epilogue)}`);
      }
    }
    stores.push(`  if (row + ${r}u < p.M) {
    let rowBase = offC + (row + ${r}u) * p.N;
${lines.join('\n')}
  }`);
  }
  return stores.join('\n');
}

/**
 * `registers` for layout NT with vec4 operands (see `vec4Applies`): per 4 k's, 8 vec4 loads of A rows
 * and 8 of B rows, 64 dot products. Rows and columns past the edge read a clamped valid row (of A
 * or B) and are dropped at the store; k needs no clamp since K is a multiple of 4.
 */
function registersVec4NTWgsl(c: RegistersVec4Constants): string {
  const rows = [...Array(REG_ROWS).keys()];
  const cols = [...Array(REG_COLS).keys()];
  const body: string[] = [];
  for (const c of cols) body.push(`let b${c} = b[baseB${c} + kv];`);
  for (const r of rows) {
    body.push(`let a${r} = a[baseA${r} + kv];`);
    for (const v of [0, 1]) {
      body.push(`acc${r}_${v} += vec4<f32>(${[0, 1, 2, 3].map((j) => `dot(a${r}, b${v * 4 + j})`).join(', ')});`);
    }
  }
  return /* wgsl */ `
${helpersWgsl(c.activation)}

${registersHeadWgsl(c.tile)}
  let kv4 = p.K / 4u;
  let offA = wg.z * (p.strideA / 4u);
  let offB = wg.z * (p.strideB / 4u);
  let offC = wg.z * p.strideC;
  ${rows.map((r) => `let baseA${r} = offA + min(row + ${r}u, p.M - 1u) * kv4;`).join('\n  ')}
  ${cols.map((c) => `let baseB${c} = offB + min(col + ${c}u, p.N - 1u) * kv4;`).join('\n  ')}
  ${rows.flatMap((r) => [0, 1].map((v) => `var acc${r}_${v} = vec4<f32>();`)).join('\n  ')}
  for (var kv = 0u; kv < kv4; kv++) {
    ${body.join('\n    ')}
  }
${registersStoresWgsl(c)}
}
`;
}
