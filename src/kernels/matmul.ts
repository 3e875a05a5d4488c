/**
 * Tiled, register-blocked matmul: C[b] = act(alpha · op(A[b]) · op(B[b]) + bias) + beta · C[b].
 * op(A) is [M,K] (A stored [K,M] when transA), op(B) is [K,N] (B stored [N,K] when transB).
 * Two strategies, both with a 64×64 output tile per workgroup, chosen by the device:
 * - `shared` (GPUs): 16×16 threads stage 64×16 slices of A and B in workgroup memory; each thread
 *   accumulates a 4×4 block in registers.
 * - `registers` (CPU-emulated WebGPU such as SwiftShader, where workgroup memory and barriers are
 *   slow): 2×2 threads each accumulate a 32×32 block reading A and B straight from memory, whose
 *   caches do the reuse. SwiftShader runs 4 invocations in SIMD lanes and turns every load whose
 *   index is not a constant into a 4-lane gather, so what counts is products per load: a 32×32
 *   block does 16 multiply-adds per gathered value where 8×8 did 4 (spilled accumulators are
 *   plain stack loads, far cheaper than gathers). Three loops:
 *   - NT (A [M,K], B stored [N,K]: the linear layer's forward X·Wᵀ) reads A and B as vec4 along k
 *     and sums 4 products per dot before they reach an accumulator;
 *   - NN (the input gradients dY·W) reads A as vec4 along k and B as vec4 along n;
 *   - any layout (TN: the weight gradients dYᵀ·X; shapes the vec4 loops cannot take) reads
 *     scalars, 2 k's per accumulator update.
 *   The vec4 loops need the vec4 dimensions and batch strides to be multiples of 4 (`vec4Path`).
 *   Measured on SwiftShader in Node (512–1024 rows, K and N 512–3072) against the 8×8 blocks of
 *   before: NT 3.2–3.5 → 4.9–6.5 GFLOP/s, NN 2.5–3.0 → 3.3–4.8, TN 2.4–2.9 → 3.0–3.7 (16×16
 *   blocks reached 3.7–4.3 in NT). The price is compile time: about 1–2 s per pipeline on
 *   SwiftShader, against 0.2–0.8 s for 8×8 blocks (see `accumulatorsWgsl`).
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
/** `registers`: side of each invocation's square block of the output (a tile is 2×2 blocks). */
const BLOCK = 32;
/** `registers` scalar loop: k's whose products are summed before they reach the accumulators. */
const K_UNROLL = 2;

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
  /** `registers` only: false forces the scalar loop where a vec4 loop would apply (tests). */
  vec4?: boolean;
}

export type MatmulStrategy = 'shared' | 'registers';

/** The `registers` loops that read A and B as vec4 (see the file comment). */
export type Vec4Path = 'NT' | 'NN';

/**
 * Which vec4 loop of the `registers` strategy can take this product, if any: NT needs K a multiple
 * of 4, NN needs K and N multiples of 4, and both need every vec4 to start on a 4-element boundary
 * (batch strides multiples of 4; tensors are bound from offset 0 of their own buffer).
 */
export function vec4Path(args: Pick<MatmulArgs, 'M' | 'N' | 'K' | 'transA' | 'transB' | 'strideA' | 'strideB'>): Vec4Path | undefined {
  const { M, N, K, transA = false, transB = false } = args;
  const strideA = args.strideA ?? M * K;
  const strideB = args.strideB ?? K * N;
  // Empty operands stay scalar: a vec4 array binding must hold at least one vec4.
  const nonEmpty = M > 0 && N > 0 && K > 0;
  if (transA || !nonEmpty || K % 4 !== 0 || strideA % 4 !== 0 || strideB % 4 !== 0) return undefined;
  if (transB) return 'NT';
  return N % 4 === 0 ? 'NN' : undefined;
}

/** Flags every strategy's code depends on. */
type Epilogue = { bias: boolean; accumulate: boolean; activation: Activation };
/** `shared`: each of the (tile/4)² threads owns a 4×4 block; k advances by tileK. */
type SharedConstants = Epilogue & { transA: boolean; transB: boolean; tile: number; tileK: number };
/** `registers`: each of the (tile/block)² threads owns a block×block square of the tile. */
type RegistersConstants = Epilogue & { transA: boolean; transB: boolean; tile: number; block: number; kUnroll: number };
type RegistersVec4Constants = Epilogue & { tile: number; block: number };

/** a, b (scalar or vec4 along k), c, and the optional bias. */
function matmulLayout(operand: 'f32' | 'vec4<f32>') {
  return ({ bias }: Epilogue) => ({
    uniforms: PARAMS,
    storage: [readOnly('a', operand), readOnly('b', operand), readWrite('c'), ...(bias ? [readOnly('bias')] : [])],
  });
}

const SHARED = defineKernel({ name: 'matmul.shared', layout: matmulLayout('f32'), body: sharedWgsl });
const REGISTERS = defineKernel({ name: 'matmul.registers', layout: matmulLayout('f32'), body: registersWgsl });
const REGISTERS_VEC4 = {
  NT: defineKernel({ name: 'matmul.registers.vec4NT', layout: matmulLayout('vec4<f32>'), body: registersVec4NTWgsl }),
  NN: defineKernel({ name: 'matmul.registers.vec4NN', layout: matmulLayout('vec4<f32>'), body: registersVec4NNWgsl }),
} as const;

export function matmul(ctx: GpuContext, args: MatmulArgs): void {
  const { M, N, K, transA = false, transB = false, batch = 1, activation = 'none' } = args;
  const beta = args.beta ?? 0;
  const epilogue: Epilogue = { bias: args.bias !== undefined, accumulate: beta !== 0, activation };
  const strategy = args.strategy ?? (ctx.prefersRegisterBlocking ? 'registers' : 'shared');
  const vec4 = strategy === 'registers' && args.vec4 !== false ? vec4Path(args) : undefined;
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
  else if (vec4) REGISTERS_VEC4[vec4].dispatch(ctx, { ...epilogue, tile: TILE, block: BLOCK }, run);
  else REGISTERS.dispatch(ctx, { ...epilogue, transA, transB, tile: TILE, block: BLOCK, kUnroll: K_UNROLL }, run);
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

/** `[0, 1, …, n - 1]`: the unrolled rows, columns and steps of the generated code. */
function range(n: number): number[] {
  return [...Array(n).keys()];
}

/**
 * `registers`, any layout: per k, one scalar load per row of A and per column of B. Rows and
 * columns past the edge read a clamped (valid) address and are dropped at the store, so the inner
 * loop has no branches; the index of each row and column is computed once, before the loop.
 */
function registersWgsl(c: RegistersConstants): string {
  const { transA, transB, block, kUnroll } = c;
  const lines = range(block);
  const vecs = range(block / 4);
  // One step of `unroll` k's from k0: the products are summed before they reach the accumulators.
  const step = (unroll: number, k0: string): string[] => {
    const ks = range(unroll).map((u) => (u === 0 ? k0 : `(${k0} + ${u}u)`));
    const body: string[] = [];
    for (const [u, k] of ks.entries()) {
      if (transA) body.push(`let kM${u} = ${k} * p.M;`);
      if (!transB) body.push(`let kN${u} = ${k} * p.N;`);
      const kB = transB ? k : `kN${u}`;
      for (const v of vecs) {
        body.push(`let b${u}_${v} = vec4<f32>(${range(4).map((j) => `b[bIdx${v * 4 + j} + ${kB}]`).join(', ')});`);
      }
    }
    for (const r of lines) {
      for (const [u, k] of ks.entries()) body.push(`let a${u}_${r} = a[aIdx${r} + ${transA ? `kM${u}` : k}];`);
      for (const v of vecs) body.push(`${accAt(r, v, block)} += ${ks.map((_, u) => `a${u}_${r} * b${u}_${v}`).join(' + ')};`);
    }
    return body;
  };
  const setup = [
    ...lines.map((r) => `let aIdx${r} = offA + min(row + ${r}u, p.M - 1u)${transA ? '' : ' * p.K'};`),
    ...lines.map((j) => `let bIdx${j} = offB + min(col + ${j}u, p.N - 1u)${transB ? ' * p.K' : ''};`),
  ];
  const loop = `let kMain = p.K - p.K % ${kUnroll}u;
  for (var k0 = 0u; k0 < kMain; k0 += ${kUnroll}u) {
    ${step(kUnroll, 'k0').join('\n    ')}
  }
  for (var k = kMain; k < p.K; k++) {
    ${step(1, 'k').join('\n    ')}
  }`;
  return registersKernelWgsl(c, 'f32', setup, loop);
}

/**
 * The frame of every `registers` kernel around its k loop: the batch offsets (in elements of the
 * operands' type), `setup` (the loop's row and column indices), the accumulators, the loop, the stores.
 */
function registersKernelWgsl(c: Epilogue & { tile: number; block: number }, operands: 'f32' | 'vec4', setup: string[], loop: string): string {
  const perElement = operands === 'vec4' ? ' / 4u' : '';
  return /* wgsl */ `
${helpersWgsl(c.activation)}

${registersHeadWgsl(c)}
  let offA = wg.z * (p.strideA${perElement});
  let offB = wg.z * (p.strideB${perElement});
  let offC = wg.z * p.strideC;
  ${setup.join('\n  ')}
  ${accumulatorsWgsl(c.block)}
  ${loop}
${registersStoresWgsl(c)}
}
`;
}

/** Entry point of every `registers` kernel: this invocation's block of the tile starts at (row, col). */
function registersHeadWgsl({ tile, block }: { tile: number; block: number }): string {
  return `@compute @workgroup_size(${tile / block}, ${tile / block})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let row = wg.y * ${tile}u + lid.y * ${block}u;
  let col = wg.x * ${tile}u + lid.x * ${block}u;
  if (row >= p.M || col >= p.N) { return; }`;
}

/**
 * The accumulators: one private array, indexed by constants in the unrolled loops (plain stack
 * loads and stores on SwiftShader) and by the loop of the epilogue, which keeps the shader small
 * (separate variables and an unrolled epilogue took 6–20 s to compile at 32×32).
 */
function accumulatorsWgsl(block: number): string {
  return `var acc: array<vec4<f32>, ${(block * block) / 4}>;`;
}

/** The accumulator of row r of the block, its columns 4v..4v+3. */
function accAt(r: number, v: number, block: number): string {
  return `acc[${r * (block / 4) + v}]`;
}

/** Epilogue of every `registers` kernel: stores the accumulators that fall inside C. */
function registersStoresWgsl(c: Epilogue & { block: number }): string {
  const lines = range(4).map((j) => `      ${storeElementWgsl(`value.${'xyzw'[j]}`, `col + v * 4u + ${j}u`, c)}`);
  return `  for (var r = 0u; r < ${c.block}u; r++) {
    if (row + r >= p.M) { break; }
    let rowBase = offC + (row + r) * p.N;
    for (var v = 0u; v < ${c.block / 4}u; v++) {
      let value = acc[r * ${c.block / 4}u + v];
${lines.join('\n')}
    }
  }`;
}

/**
 * `registers` NT with vec4 operands: per 4 k's, one vec4 load per row of A and per row of B
 * (B stored [N,K]), and a dot product for each pair. Rows and columns past the edge read a clamped
 * valid row and are dropped at the store; k needs no clamp since K is a multiple of 4.
 */
function registersVec4NTWgsl(c: RegistersVec4Constants): string {
  const lines = range(c.block);
  const body: string[] = [];
  for (const j of lines) body.push(`let b${j} = b[bIdx${j} + kv];`);
  for (const r of lines) {
    body.push(`let a${r} = a[aIdx${r} + kv];`);
    for (const v of range(c.block / 4)) {
      body.push(`${accAt(r, v, c.block)} += vec4<f32>(${range(4).map((j) => `dot(a${r}, b${v * 4 + j})`).join(', ')});`);
    }
  }
  const setup = [
    'let kv4 = p.K / 4u;',
    ...lines.map((r) => `let aIdx${r} = offA + min(row + ${r}u, p.M - 1u) * kv4;`),
    ...lines.map((j) => `let bIdx${j} = offB + min(col + ${j}u, p.N - 1u) * kv4;`),
  ];
  const loop = `for (var kv = 0u; kv < kv4; kv++) {
    ${body.join('\n    ')}
  }`;
  return registersKernelWgsl(c, 'vec4', setup, loop);
}

/**
 * `registers` NN with vec4 operands: per 4 k's, one vec4 of A per row (its 4 k's) and one vec4 of B
 * per 4 columns and k; each accumulator takes the 4 k's products at once. Rows past the edge read a
 * clamped row of A; columns past N (a multiple of 4) a clamped vec4 of B; both are dropped at the store.
 */
function registersVec4NNWgsl(c: RegistersVec4Constants): string {
  const lines = range(c.block);
  const vecs = range(c.block / 4);
  const body: string[] = [];
  for (const u of range(4)) {
    body.push(`let kRow${u} = (kv * 4u + ${u}u) * nv4;`);
    for (const v of vecs) body.push(`let b${u}_${v} = b[bIdx${v} + kRow${u}];`);
  }
  for (const r of lines) {
    body.push(`let a${r} = a[aIdx${r} + kv];`);
    for (const v of vecs) {
      body.push(`${accAt(r, v, c.block)} += ${range(4).map((u) => `a${r}.${'xyzw'[u]} * b${u}_${v}`).join(' + ')};`);
    }
  }
  const setup = [
    'let kv4 = p.K / 4u;',
    'let nv4 = p.N / 4u;',
    ...lines.map((r) => `let aIdx${r} = offA + min(row + ${r}u, p.M - 1u) * kv4;`),
    ...vecs.map((v) => `let bIdx${v} = offB + min(col / 4u + ${v}u, nv4 - 1u);`),
  ];
  const loop = `for (var kv = 0u; kv < kv4; kv++) {
    ${body.join('\n    ')}
  }`;
  return registersKernelWgsl(c, 'vec4', setup, loop);
}
