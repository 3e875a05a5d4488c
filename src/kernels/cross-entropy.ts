/**
 * Softmax cross-entropy for the classifier head, fused with its gradient:
 * loss[0] = mean_b(−log softmax(logits_b)[label_b]) and dLogits = (softmax − onehot)/batch, both
 * WRITTEN (not accumulated). Stable: each row subtracts its max before exp.
 *
 * One workgroup does everything (a classification batch is small and has few classes), with
 * no atomics or second pass. Two strategies, chosen by the device:
 * - `workgroup` (GPUs): a thread per row (rows strided over 256 threads), then a workgroup tree
 *   reduction of the per-row losses gives the mean.
 * - `serial` (CPU-emulated WebGPU such as SwiftShader, where barriers are slow): a single
 *   invocation loops over the rows and sums their losses.
 * Labels must lie in [0, classes); there is no ignore index.
 */
import type { GpuContext } from '../gpu/context';
import type { Tensor } from '../gpu/buffers';
import { packUniforms, uniformStruct, reductionStrategy, type ReductionStrategy } from './wgsl';

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
  /** Overrides the device's choice (tests exercise both on every machine). */
  strategy?: ReductionStrategy;
}

export function crossEntropy(ctx: GpuContext, args: CrossEntropyArgs): void {
  const { batch, classes } = args;
  if (args.labels.dtype !== 'i32') throw new Error(`crossEntropy: labels must be i32, got ${args.labels.dtype}`);
  if (batch === 0 || classes === 0) throw new Error(`crossEntropy: empty batch (${batch} × ${classes})`);
  const strategy = reductionStrategy(ctx, args.strategy);
  const threads = strategy === 'workgroup' ? THREADS : 1;
  ctx.dispatch({
    key: `crossEntropy:${strategy}:${threads}`,
    code: () => crossEntropyWgsl(threads),
    uniforms: packUniforms(PARAMS, { batch, classes }),
    buffers: [args.logits, args.labels, args.loss, args.dLogits],
    workgroups: [1],
  });
}

/** `threads` 1 is the serial strategy: the row loop covers every row and the reduction vanishes. */
function crossEntropyWgsl(threads: number): string {
  const reduce =
    threads === 1
      ? 'loss[0] = lossSum * invBatch;'
      : `scratch[lid] = lossSum;
  workgroupBarrier();
  for (var stride = ${threads / 2}u; stride > 0u; stride >>= 1u) {
    if (lid < stride) { scratch[lid] += scratch[lid + stride]; }
    workgroupBarrier();
  }
  if (lid == 0u) { loss[0] = scratch[0] * invBatch; }`;
  return /* wgsl */ `
${uniformStruct(PARAMS)}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;      // [batch, classes]
@group(0) @binding(2) var<storage, read> labels: array<i32>;      // [batch]
@group(0) @binding(3) var<storage, read_write> loss: array<f32>;  // [1]
@group(0) @binding(4) var<storage, read_write> dLogits: array<f32>; // [batch, classes]

${threads === 1 ? '' : `var<workgroup> scratch: array<f32, ${threads}>;`}

@compute @workgroup_size(${threads})
fn main(@builtin(local_invocation_index) lid: u32) {
  let invBatch = 1.0 / f32(p.batch);
  var lossSum = 0.0;
  for (var b = lid; b < p.batch; b += ${threads}u) {
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
  ${reduce}
}
`;
}
