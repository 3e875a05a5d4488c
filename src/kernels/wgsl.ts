/** Small helpers every kernel uses to declare its uniforms and index its threads. */
import type { GpuContext } from '../gpu/context';

export type ScalarType = 'u32' | 'i32' | 'f32';
/** Field name → WGSL scalar type, in struct order. */
export type UniformSpec = Readonly<Record<string, ScalarType>>;
export type UniformValues<S extends UniformSpec> = { [K in keyof S]: number };

/** `struct Params { M: u32, alpha: f32, ... }` for a spec. */
export function uniformStruct(spec: UniformSpec, name = 'Params'): string {
  const fields = Object.entries(spec).map(([field, type]) => `  ${field}: ${type},`);
  return `struct ${name} {\n${fields.join('\n')}\n}`;
}

/** Packs values in the spec's field order, padded to 16 bytes. */
export function packUniforms<S extends UniformSpec>(spec: S, values: UniformValues<S>): ArrayBuffer {
  const names = Object.keys(spec);
  const bytes = Math.max(16, Math.ceil((names.length * 4) / 16) * 16);
  const buffer = new ArrayBuffer(bytes);
  const view = new DataView(buffer);
  names.forEach((name, i) => {
    const value = values[name as keyof S];
    if (value === undefined || Number.isNaN(value)) throw new Error(`uniform ${name} is missing or NaN`);
    const type = spec[name];
    if (type === 'f32') view.setFloat32(i * 4, value, true);
    else if (type === 'i32') view.setInt32(i * 4, value, true);
    else view.setUint32(i * 4, value, true);
  });
  return buffer;
}

/** Max workgroups along one dimension that every WebGPU implementation accepts. */
export const MAX_WORKGROUPS_PER_DIM = 65535;

/** Workgroup counts covering `threads` threads of `workgroupSize`, folded into 2D when needed. */
export function grid1d(threads: number, workgroupSize: number): [number, number, number] {
  const groups = Math.max(1, Math.ceil(threads / workgroupSize));
  if (groups <= MAX_WORKGROUPS_PER_DIM) return [groups, 1, 1];
  return [MAX_WORKGROUPS_PER_DIM, Math.ceil(groups / MAX_WORKGROUPS_PER_DIM), 1];
}

/**
 * WGSL entry point header for a 1D kernel dispatched with `grid1d`: defines `i`, the flat thread
 * index. The body must bounds-check `i` itself.
 */
export function flatIndexMain(workgroupSize: number): string {
  return `@compute @workgroup_size(${workgroupSize})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * ${workgroupSize}u;`;
}

/**
 * How the reduction kernels (layernorm, attention, embedding, cross-entropy, scores) sum:
 * - `workgroup` (GPUs): many threads per row, tree reductions in workgroup memory.
 * - `serial` (CPU-emulated WebGPU): an invocation owns a whole row (or column, or block) and
 *   loops, with no barriers. SwiftShader runs a shader that has barriers as one coroutine per
 *   4-invocation subgroup, switching at every barrier. Measured there (2048×256 LayerNorm
 *   forward): ~0.45 ms per row with a 256-thread workgroup, ~6 µs with one invocation.
 */
export type ReductionStrategy = 'workgroup' | 'serial';

/** The strategy for this device unless a caller (a test) forces one. */
export function reductionStrategy(ctx: GpuContext, override?: ReductionStrategy): ReductionStrategy {
  return override ?? (ctx.prefersRegisterBlocking ? 'serial' : 'workgroup');
}
