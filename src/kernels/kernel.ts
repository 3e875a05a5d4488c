/**
 * One description per kernel, from which everything that must agree is generated:
 * - the pipeline cache key: the kernel's name plus its compile-time constants (workgroup size, tile
 *   shape, flags), the same object that generates the WGSL, so two different shaders can never
 *   share a key and sizes (which go in uniforms) never recompile;
 * - the WGSL declarations (uniform struct `Params` bound at 0 as `p`, then the storage buffers from
 *   binding 1) and the order the buffers are bound in, from one list of bindings.
 */
import type { GpuContext } from '../gpu/context';
import type { DType, Tensor } from '../gpu/buffers';
import { packUniforms, uniformStruct, type UniformSpec } from './wgsl';

/** A value that changes the generated code. */
export type Constant = string | number | boolean;

export type ElementType = 'f32' | 'i32' | 'u32' | 'vec2<f32>' | 'vec4<f32>';

export interface StorageBinding {
  name: string;
  access: 'read' | 'read_write';
  type: ElementType;
  /** Written after the declaration as a WGSL comment (a shape, say). */
  note?: string;
}

/** A storage buffer the kernel only reads. */
export function readOnly(name: string, type: ElementType = 'f32', note?: string): StorageBinding {
  return { name, access: 'read', type, note };
}

/** A storage buffer the kernel writes (and may read). */
export function readWrite(name: string, type: ElementType = 'f32', note?: string): StorageBinding {
  return { name, access: 'read_write', type, note };
}

export interface KernelLayout {
  /** Fields of the uniform struct, bound at 0 as `p`; omit for a kernel without uniforms. */
  uniforms?: UniformSpec;
  /** Storage buffers, bound from 1 in this order. */
  storage: readonly StorageBinding[];
}

export interface KernelSpec<C> {
  /** Unique among kernels: the first part of every pipeline key. */
  name: string;
  /** The bindings for these constants. */
  layout: (constants: C) => KernelLayout;
  /** WGSL after the declarations: helpers and the `main` entry point. */
  body: (constants: C) => string;
}

export interface KernelRun {
  /** Values for every field of the layout's uniforms. */
  uniforms?: Readonly<Record<string, number>>;
  /** A tensor for every storage binding, by name. */
  buffers: Readonly<Record<string, Tensor>>;
  workgroups: readonly [number, number?, number?];
}

export interface Kernel<C> {
  readonly name: string;
  /** The pipeline cache key for these constants. */
  key(constants: C): string;
  /** The whole shader for these constants. */
  wgsl(constants: C): string;
  dispatch(ctx: GpuContext, constants: C, run: KernelRun): void;
}

const DTYPE_OF: Record<ElementType, DType> = { f32: 'f32', i32: 'i32', u32: 'u32', 'vec2<f32>': 'f32', 'vec4<f32>': 'f32' };
const IDENTIFIER = /^[A-Za-z][A-Za-z0-9_]*$/;

const definedNames = new Set<string>();

/** `name(k1=v1,k2=v2)` with the constants in key order, so property order does not matter. */
export function pipelineKey(name: string, constants: Readonly<Record<string, Constant>>): string {
  const fields = Object.keys(constants)
    .sort()
    .map((k) => {
      const value = constants[k];
      const ok = typeof value === 'boolean' || typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value));
      if (!ok) throw new Error(`kernel ${name}: constant ${k} is ${String(value)}; constants must be finite numbers, booleans or strings`);
      return `${k}=${JSON.stringify(value)}`;
    });
  return `${name}(${fields.join(',')})`;
}

/** The uniform struct and every binding declaration of a layout. */
export function declarationsWgsl(layout: KernelLayout): string {
  const lines: string[] = [];
  if (layout.uniforms) lines.push(uniformStruct(layout.uniforms), '@group(0) @binding(0) var<uniform> p: Params;');
  layout.storage.forEach((b, i) => {
    const note = b.note ? ` // ${b.note}` : '';
    lines.push(`@group(0) @binding(${i + 1}) var<storage, ${b.access}> ${b.name}: array<${b.type}>;${note}`);
  });
  return lines.join('\n');
}

/** The run's tensors in binding order, each checked against its binding (`name` labels errors). */
function orderedBuffers(name: string, layout: KernelLayout, buffers: Readonly<Record<string, Tensor>>): Tensor[] {
  const expected = new Set(layout.storage.map((b) => b.name));
  for (const given of Object.keys(buffers)) {
    if (!expected.has(given)) throw new Error(`kernel ${name}: no binding named ${given} (bindings: ${[...expected].join(', ')})`);
  }
  return layout.storage.map((b) => {
    const t = buffers[b.name];
    if (!t) throw new Error(`kernel ${name}: missing buffer ${b.name}`);
    if (t.dtype !== DTYPE_OF[b.type]) throw new Error(`kernel ${name}: buffer ${b.name} must be ${DTYPE_OF[b.type]}, got ${t.dtype}`);
    return t;
  });
}

function checkLayout(name: string, layout: KernelLayout): void {
  const names = ['p', ...layout.storage.map((b) => b.name)];
  for (const n of names) if (!IDENTIFIER.test(n)) throw new Error(`kernel ${name}: binding name ${n} is not a WGSL identifier`);
  const duplicate = names.find((n, i) => names.indexOf(n) !== i);
  if (duplicate) throw new Error(`kernel ${name}: two bindings named ${duplicate}`);
}

/**
 * Defines a kernel. `C` is its compile-time constants: everything that changes the code, and
 * nothing that does not (sizes and offsets belong in uniforms, or every new shape would compile a
 * new pipeline).
 */
export function defineKernel<C extends Record<keyof C, Constant>>(spec: KernelSpec<C>): Kernel<C> {
  if (definedNames.has(spec.name)) throw new Error(`kernel ${spec.name} is defined twice: pipeline keys would collide`);
  definedNames.add(spec.name);
  const layouts = new Map<string, KernelLayout>();
  const layoutFor = (key: string, constants: C): KernelLayout => {
    let layout = layouts.get(key);
    if (!layout) {
      layout = spec.layout(constants);
      checkLayout(spec.name, layout);
      layouts.set(key, layout);
    }
    return layout;
  };
  const key = (constants: C) => pipelineKey(spec.name, constants);
  const wgsl = (constants: C) => `${declarationsWgsl(layoutFor(key(constants), constants))}\n${spec.body(constants)}`;
  return {
    name: spec.name,
    key,
    wgsl,
    dispatch(ctx, constants, run) {
      const k = key(constants);
      const layout = layoutFor(k, constants);
      if (!layout.uniforms !== !run.uniforms) {
        throw new Error(`kernel ${k}: ${layout.uniforms ? 'needs uniform values' : 'has no uniforms, but values were given'}`);
      }
      if (layout.uniforms && run.uniforms) {
        const extra = Object.keys(run.uniforms).find((field) => !(field in layout.uniforms!));
        if (extra) throw new Error(`kernel ${k}: no uniform named ${extra}`);
      }
      ctx.dispatch({
        key: k,
        code: () => wgsl(constants),
        uniforms: layout.uniforms && run.uniforms ? packUniforms(layout.uniforms, run.uniforms) : undefined,
        buffers: orderedBuffers(k, layout, run.buffers),
        workgroups: run.workgroups,
      });
    },
  };
}
