import { describe, expect, it } from 'vitest';
import type { GpuContext, DispatchSpec } from '../gpu/context';
import type { DType, Tensor } from '../gpu/buffers';
import { declarationsWgsl, defineKernel, pipelineKey, readOnly, readWrite } from './kernel';
import { laneSumWgsl, treeReductionWgsl } from './wgsl-reduce';
import { layerNormForward } from './layernorm';
import { matmul, type MatmulStrategy } from './matmul';
import { attentionBackward, attentionForward } from './attention';
import { add } from './elementwise';
import { crossEntropy } from './cross-entropy';
import type { ReductionStrategy } from './wgsl';
import { gpuContext } from '../../test/helpers';

/** A context that records dispatches instead of running them. */
function recordingContext(): { ctx: GpuContext; specs: DispatchSpec[] } {
  const specs: DispatchSpec[] = [];
  return { ctx: { dispatch: (spec: DispatchSpec) => specs.push(spec) } as unknown as GpuContext, specs };
}

const tensor = (dtype: DType = 'f32') => ({ dtype }) as Tensor;

describe('pipeline keys', () => {
  it('are the name plus every constant, whatever the property order', () => {
    expect(pipelineKey('op', { transB: true, tile: 64, act: 'gelu' })).toBe('op(act="gelu",tile=64,transB=true)');
    expect(pipelineKey('op', { tile: 64, act: 'gelu', transB: true })).toBe(pipelineKey('op', { transB: true, tile: 64, act: 'gelu' }));
  });

  it('differ when any one constant differs', () => {
    const base = { flag: false, size: 64, mode: 'a' };
    const variants = [base, { ...base, flag: true }, { ...base, size: 128 }, { ...base, mode: 'b' }, { ...base, mode: '"b"' }];
    const keys = variants.map((c) => pipelineKey('op', c));
    expect(new Set(keys).size).toBe(variants.length);
    expect(pipelineKey('op', { size: 1 })).not.toBe(pipelineKey('op', { size: '1' }));
    expect(pipelineKey('op', {})).not.toBe(pipelineKey('op2', {}));
  });

  it('reject constants that are not numbers, booleans or strings', () => {
    expect(() => pipelineKey('op', { size: NaN })).toThrow('kernel op: constant size is NaN; constants must be finite numbers, booleans or strings');
    expect(() => pipelineKey('op', { size: undefined as unknown as number })).toThrow('constant size is undefined');
  });
});

describe('defineKernel', () => {
  const kernel = defineKernel({
    name: 'test.scaled',
    layout: ({ bias }: { bias: boolean }) => ({
      uniforms: { n: 'u32', alpha: 'f32' },
      storage: [readOnly('x', 'f32', '[n]'), readOnly('ids', 'i32'), readWrite('out'), ...(bias ? [readOnly('bias')] : [])],
    }),
    body: ({ bias }) => `// body ${bias}`,
  });

  it('generates the declarations from the binding list: uniforms at 0, buffers from 1 in order', () => {
    expect(kernel.wgsl({ bias: true })).toBe(`struct Params {
  n: u32,
  alpha: f32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>; // [n]
@group(0) @binding(2) var<storage, read> ids: array<i32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;
// body true`);
    expect(declarationsWgsl({ storage: [readWrite('y', 'vec4<f32>')] })).toBe('@group(0) @binding(1) var<storage, read_write> y: array<vec4<f32>>;');
  });

  it('binds buffers in declaration order, whatever order the run names them in', () => {
    const { ctx, specs } = recordingContext();
    const [x, ids, out, bias] = [tensor(), tensor('i32'), tensor(), tensor()];
    kernel.dispatch(ctx, { bias: true }, { uniforms: { alpha: 2, n: 3 }, buffers: { bias, out, ids, x }, workgroups: [1] });
    expect(specs[0].buffers).toEqual([x, ids, out, bias]);
    expect(specs[0].buffers[0]).toBe(x);
    expect(specs[0].buffers[3]).toBe(bias);
    expect(specs[0].key).toBe('test.scaled(bias=true)');
    expect(specs[0].code()).toBe(kernel.wgsl({ bias: true }));
    // Uniforms are packed in the struct's field order: n then alpha.
    const view = new DataView(specs[0].uniforms!);
    expect([view.getUint32(0, true), view.getFloat32(4, true)]).toEqual([3, 2]);
  });

  it('says which buffer or uniform is missing, unknown or of the wrong type', () => {
    const { ctx } = recordingContext();
    const uniforms = { n: 1, alpha: 1 };
    const run = (buffers: Record<string, Tensor>, values: Record<string, number> | undefined = uniforms) =>
      kernel.dispatch(ctx, { bias: false }, { uniforms: values, buffers, workgroups: [1] });
    const ok = { x: tensor(), ids: tensor('i32'), out: tensor() };
    expect(() => run(ok)).not.toThrow();
    expect(() => run({ x: ok.x, ids: ok.ids })).toThrow('kernel test.scaled(bias=false): missing buffer out');
    expect(() => run({ ...ok, bias: tensor() })).toThrow('kernel test.scaled(bias=false): no binding named bias (bindings: x, ids, out)');
    expect(() => run({ ...ok, ids: tensor('f32') })).toThrow('kernel test.scaled(bias=false): buffer ids must be i32, got f32');
    expect(() => kernel.dispatch(ctx, { bias: false }, { buffers: ok, workgroups: [1] })).toThrow('kernel test.scaled(bias=false): needs uniform values');
    expect(() => run(ok, { n: 1, alpha: 1, beta: 0 })).toThrow('kernel test.scaled(bias=false): no uniform named beta');
    expect(() => run(ok, { n: 1 })).toThrow('uniform alpha is missing or NaN');
  });

  it('refuses a second kernel with the same name, and binding names WGSL cannot take', () => {
    expect(() => defineKernel({ name: 'test.scaled', layout: () => ({ storage: [] }), body: () => '' })).toThrow(
      'kernel test.scaled is defined twice: pipeline keys would collide',
    );
    const bad = defineKernel({ name: 'test.bad', layout: () => ({ storage: [readOnly('p'), readOnly('a-b')] }), body: () => '' });
    expect(() => bad.wgsl({})).toThrow('kernel test.bad: binding name a-b is not a WGSL identifier');
    const twice = defineKernel({ name: 'test.twice', layout: () => ({ storage: [readOnly('x'), readWrite('x')] }), body: () => '' });
    expect(() => twice.wgsl({})).toThrow('kernel test.twice: two bindings named x');
  });
});

describe('reduction generators', () => {
  it('tree: a power-of-two workgroup, or the identity for one invocation', () => {
    expect(treeReductionWgsl({ name: 's', op: 'sum', type: 'f32', threads: 1 })).toBe('fn s(value: f32, lid: u32) -> f32 { return value; }');
    expect(() => treeReductionWgsl({ name: 's', op: 'sum', type: 'f32', threads: 96 })).toThrow('threads must be a power of two, got 96');
    const max = treeReductionWgsl({ name: 'm', op: 'max', type: 'f32', threads: 128 });
    expect(max).toContain('var<workgroup> m_scratch: array<f32, 128>;');
    expect(max).toContain('for (var stride = 64u; stride > 0u; stride >>= 1u)');
    expect(max).toContain('m_scratch[lid] = max(m_scratch[lid], m_scratch[lid + stride]);');
  });

  it('lanes: one scratch slot per invocation, summed in lane order', () => {
    const lanes = laneSumWgsl({ name: 'l', type: 'vec2<f32>', columns: 32, lanes: 8 });
    expect(lanes).toContain('var<workgroup> l_scratch: array<vec2<f32>, 256>;');
    expect(lanes).toContain('for (var lane = 0u; lane < 8u; lane++) { total += l_scratch[lane * 32u + lid.x]; }');
  });
});

describe('a new shape reuses the compiled pipeline: sizes live in uniforms', () => {
  /** Pipelines compiled by `first`, then by `second` (a new shape for the same kernels). */
  async function compiles(first: (ctx: GpuContext) => void, second: (ctx: GpuContext) => void): Promise<[number, number]> {
    const ctx = await gpuContext();
    const before = ctx.pipelines.size;
    first(ctx);
    const afterFirst = ctx.pipelines.size;
    second(ctx);
    const afterSecond = ctx.pipelines.size;
    await ctx.sync();
    return [afterFirst - before, afterSecond - afterFirst];
  }

  it.each<ReductionStrategy>(['workgroup', 'serial'])('layerNormForward (%s): two shapes, one compile', async (strategy) => {
    const run = (rows: number, cols: number) => (ctx: GpuContext) => {
      const t = (n: number) => ctx.zeros([n]);
      layerNormForward(ctx, { x: t(rows * cols), gamma: t(cols), beta: t(cols), out: t(rows * cols), mean: t(rows), rstd: t(rows), rows, cols, eps: 1e-5, strategy });
    };
    expect(await compiles(run(3, 8), run(5, 24))).toEqual([1, 0]);
  });

  it.each<MatmulStrategy>(['shared', 'registers'])('matmul (%s): two shapes and batch sizes, one compile; a new flag compiles once more', async (strategy) => {
    // K stays off multiples of 4: with K % 4 = 0, `registers` picks its vec4 kernel (a code choice).
    const run = (M: number, N: number, K: number, batch: number, bias = false) => (ctx: GpuContext) =>
      matmul(ctx, { a: ctx.zeros([batch * M * K]), b: ctx.zeros([batch * K * N]), out: ctx.zeros([batch * M * N]), M, N, K, batch, transB: true, bias: bias ? ctx.zeros([N]) : undefined, strategy });
    expect(await compiles(run(3, 5, 7, 1), run(70, 9, 13, 3))).toEqual([1, 0]);
    expect(await compiles(run(3, 5, 7, 1, true), run(4, 4, 5, 2, true))).toEqual([1, 0]);
  });

  it.each<ReductionStrategy>(['workgroup', 'serial'])('attention forward and backward (%s): two batch shapes, one compile each', async (strategy) => {
    const run = (batch: number, seqLen: number) => (ctx: GpuContext) => {
      const heads = 2;
      const headDim = 4;
      const n = batch * seqLen * heads * headDim;
      const t = (size: number) => ctx.zeros([size]);
      const common = { batch, seqLen, heads, headDim, q: t(n), k: t(n), v: t(n), attnMask: t(batch * seqLen), headMask: t(heads), probs: t(batch * heads * seqLen * seqLen), strategy };
      attentionForward(ctx, { ...common, out: t(n) });
      attentionBackward(ctx, { ...common, dOut: t(n), dQ: t(n), dK: t(n), dV: t(n), dHeadMask: t(heads) });
    };
    expect(await compiles(run(2, 5), run(3, 17))).toEqual([6, 0]); // 2 forward kernels, 4 backward
  });

  it('elementwise add and cross-entropy: two sizes, one compile each', async () => {
    const addRun = (n: number) => (ctx: GpuContext) => add(ctx, { a: ctx.zeros([n]), b: ctx.zeros([n]), out: ctx.zeros([n]), n });
    expect(await compiles(addRun(10), addRun(100_000))).toEqual([1, 0]);
    const ceRun = (batch: number, classes: number) => (ctx: GpuContext) =>
      crossEntropy(ctx, { logits: ctx.zeros([batch * classes]), labels: ctx.zeros([batch], 'i32'), loss: ctx.zeros([1]), dLogits: ctx.zeros([batch * classes]), batch, classes });
    expect(await compiles(ceRun(2, 3), ceRun(16, 5))).toEqual([1, 0]);
  });
});
