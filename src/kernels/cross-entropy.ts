/**
 * Softmax cross-entropy for the classifier head, fused with its gradient:
 * loss[0] = mean_b(−log softmax(logits_b)[label_b]) and dLogits = (softmax − onehot)/batch, both
 * WRITTEN (not accumulated). Stable: each row subtracts its max before exp.
 *
 * One workgroup does everything: a thread per row (rows strided over the 256 threads; a
 * classification batch is small and has few classes), then a workgroup tree reduction of the
 * per-row losses gives the mean without atomics or a second pass.
 * Labels must lie in [0, classes); there is no ignore index.
 */
import type { GpuContext } from '../engine/gpu/context';
import type { Tensor } from '../engine/gpu/buffers';
import { packUniforms, uniformStruct } from './wgsl';

const THREADS = 256;

const PARAMS = { batch: 'u32', classes: 'u32' } as const;

export interface CrossEntropyArgs {
  logits: Tensor; // [batch, classes]
  /** i32 [batch] */
  labels: Tensor;
  /** [1], written */
  loss: Tensor;
  /** [batch, classes], written */
  dLogits: Tensor;
  batch: number;
  classes: number;
}

export function crossEntropy(ctx: GpuContext, args: CrossEntropyArgs): void {
  const { batch, classes } = args;
  if (args.labels.dtype !== 'i32') throw new Error(`crossEntropy: labels must be i32, got ${args.labels.dtype}`);
  if (batch === 0 || classes === 0) throw new Error(`crossEntropy: empty batch (${batch} × ${classes})`);
  ctx.dispatch({
    key: `crossEntropy:${THREADS}`,
    code: crossEntropyWgsl,
    uniforms: packUniforms(PARAMS, { batch, classes }),
    buffers: [args.logits, args.labels, args.loss, args.dLogits],
    workgroups: [1],
  });
}

function crossEntropyWgsl(): string {
  return /* wgsl */ `
${uniformStruct(PARAMS)}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;      // [batch, classes]
@group(0) @binding(2) var<storage, read> labels: array<i32>;      // [batch]
@group(0) @binding(3) var<storage, read_write> loss: array<f32>;  // [1]
@group(0) @binding(4) var<storage, read_write> dLogits: array<f32>; // [batch, classes]

var<workgroup> scratch: array<f32, ${THREADS}>;

@compute @workgroup_size(${THREADS})
fn main(@builtin(local_invocation_index) lid: u32) {
  let invBatch = 1.0 / f32(p.batch);
  var lossSum = 0.0;
  for (var b = lid; b < p.batch; b += ${THREADS}u) {
    let base = b * p.classes;
    var rowMax = logits[base];
    for (var c = 1u; c < p.classes; c++) { rowMax = max(rowMax, logits[base + c]); }
    var sum = 0.0;
    for (var c = 0u; c < p.classes; c++) { sum += exp(logits[base + c] - rowMax); }
    let label = u32(labels[b]);
    var labelLogit = 0.0; // minus the row max
    for (var c = 0u; c < p.classes; c++) {
      let shifted = logits[base + c] - rowMax;
      let isLabel = c == label;
      if (isLabel) { labelLogit = shifted; }
      dLogits[base + c] = (exp(shifted) / sum - select(0.0, 1.0, isLabel)) * invBatch;
    }
    lossSum += log(sum) - labelLogit;
  }
  scratch[lid] = lossSum;
  workgroupBarrier();
  for (var stride = ${THREADS / 2}u; stride > 0u; stride >>= 1u) {
    if (lid < stride) { scratch[lid] += scratch[lid + stride]; }
    workgroupBarrier();
  }
  if (lid == 0u) { loss[0] = scratch[0] * invBatch; }
}
`;
}
