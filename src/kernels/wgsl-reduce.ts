/**
 * Workgroup reductions as WGSL functions, generated for a workgroup size and element type, so
 * every kernel that reduces through workgroup memory runs the same code. Each function holds
 * barriers: every invocation of the workgroup must call it, in uniform control flow.
 */

export type ReducedType = 'f32' | 'vec2<f32>';

export interface TreeReduction {
  /** The WGSL function's name; its scratch array is `<name>_scratch`. */
  name: string;
  op: 'sum' | 'max';
  type: ReducedType;
  /** Invocations in the (1D) workgroup: a power of two, or 1 for a serial kernel's single invocation. */
  threads: number;
}

/**
 * `fn <name>(value: T, lid: u32) -> T`: the sum (or max) of `value` over the workgroup's
 * invocations, `lid` being the local_invocation_index, returned to every invocation. A tree: at
 * strides threads/2, threads/4, …, 1, slot i combines slot i + stride. With `threads` 1 it is
 * the identity, so serial kernels can share a body with the workgroup ones.
 */
export function treeReductionWgsl({ name, op, type, threads }: TreeReduction): string {
  if (threads === 1) return `fn ${name}(value: ${type}, lid: u32) -> ${type} { return value; }`;
  if (!Number.isInteger(threads) || threads < 1 || (threads & (threads - 1)) !== 0) {
    throw new Error(`treeReductionWgsl ${name}: threads must be a power of two, got ${threads}`);
  }
  const scratch = `${name}_scratch`;
  const combine =
    op === 'sum' ? `${scratch}[lid] += ${scratch}[lid + stride];` : `${scratch}[lid] = max(${scratch}[lid], ${scratch}[lid + stride]);`;
  return /* wgsl */ `
var<workgroup> ${scratch}: array<${type}, ${threads}>;
fn ${name}(value: ${type}, lid: u32) -> ${type} {
  ${scratch}[lid] = value;
  workgroupBarrier();
  for (var stride = ${threads / 2}u; stride > 0u; stride >>= 1u) {
    if (lid < stride) { ${combine} }
    workgroupBarrier();
  }
  let total = ${scratch}[0];
  workgroupBarrier(); // every invocation has read the total before the scratch is reused
  return total;
}`;
}

export interface LaneSum {
  /** The WGSL function's name; its scratch array is `<name>_scratch`. */
  name: string;
  type: ReducedType;
  /** Workgroup shape: `columns` × `lanes` invocations, local_invocation_id (x = column, y = lane). */
  columns: number;
  lanes: number;
}

/**
 * `fn <name>(value: T, lid: vec3<u32>) -> T` for a 2D workgroup where each column's lanes
 * (lid.y) hold partial sums: lane 0 gets the column's total, added in lane order (0, 1, …);
 * the other lanes get 0. Used by column reductions whose lanes stride over rows.
 */
export function laneSumWgsl({ name, type, columns, lanes }: LaneSum): string {
  const scratch = `${name}_scratch`;
  return /* wgsl */ `
var<workgroup> ${scratch}: array<${type}, ${columns * lanes}>; // [lane][column]
fn ${name}(value: ${type}, lid: vec3<u32>) -> ${type} {
  ${scratch}[lid.y * ${columns}u + lid.x] = value;
  workgroupBarrier();
  var total = ${type}();
  if (lid.y == 0u) {
    for (var lane = 0u; lane < ${lanes}u; lane++) { total += ${scratch}[lane * ${columns}u + lid.x]; }
  }
  workgroupBarrier(); // every lane 0 has read the scratch before it is reused
  return total;
}`;
}
