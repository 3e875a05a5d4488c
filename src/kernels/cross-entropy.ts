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
import { reductionStrategy, type ReductionStrategy } from './wgsl';
import { defineKernel, readOnly, readWrite } from './kernel';
import { treeReductionWgsl } from './wgsl-reduce';

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

/** `threads` 1 is the serial strategy: one invocation loops over every row. */
const CROSS_ENTROPY = defineKernel({
  name: 'crossEntropy',
  layout: () => ({
    uniforms: PARAMS,
    storage: [
      readOnly('logits', 'f32', '[batch, classes]'),
      readOnly('labels', 'i32', '[batch]'),
      readWrite('loss', 'f32', '[1]'),
      readWrite('dLogits', 'f32', '[batch, classes]'),
    ],
  }),
  body: ({ threads }: { threads: number }) => crossEntropyWgsl(threads),
});

export function crossEntropy(ctx: GpuContext, args: CrossEntropyArgs): void {
  const { batch, classes } = args;
  if (args.labels.dtype !== 'i32') throw new Error(`crossEntropy: labels must be i32, got ${args.labels.dtype}`);
  if (batch === 0 || classes === 0) throw new Error(`crossEntropy: empty batch (${batch} × ${classes})`);
  const strategy = reductionStrategy(ctx, args.strategy);
  CROSS_ENTROPY.dispatch(ctx, { threads: strategy === 'workgroup' ? THREADS : 1 }, {
    uniforms: { batch, classes },
    buffers: { logits: args.logits, labels: args.labels, loss: args.loss, dLogits: args.dLogits },
    workgroups: [1],
  });
}

function crossEntropyWgsl(threads: number): string {
  return /* wgsl */ `${treeReductionWgsl({ name: 'workgroup_sum', op: 'sum', type: 'f32', threads })}

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
  let total = workgroup_sum(lossSum, lid);
  if (lid == 0u) { loss[0] = total * invBatch; }
}
`;
}
