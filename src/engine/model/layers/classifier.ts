/**
 * RobertaClassificationHead: the <s> token's hidden state → dropout → dense → tanh → dropout → out_proj.
 * (No pooler.) Built from gatherRows, matmul (tanh epilogue) and dense backward.
 */
import type { GpuContext } from '../../../gpu/context';
import type { Tensor } from '../../../gpu/buffers';
import { matmul } from '../../../kernels/matmul';
import { activationBackward, dropoutBackward, dropoutForward, gatherRows, scatterRowsAdd } from '../../../kernels/elementwise';
import { denseBackward } from './dense';

export interface ClassifierWeights {
  denseWeight: Tensor; // [H, H]
  denseBias: Tensor; // [H]
  outWeight: Tensor; // [C, H]
  outBias: Tensor; // [C]
}

export interface ClassifierSaved {
  cls: Tensor; // [B, H] after dropout
  hidden: Tensor; // [B, H] tanh output, before dropout
  hiddenDropped: Tensor; // [B, H] after dropout; the same tensor as `hidden` when p = 0
}

export interface ClassifierDims {
  batch: number;
  seqLen: number;
  hidden: number;
  classes: number;
  /** Dropout probability and per-step seeds (two sites); p = 0 in evaluation. */
  dropout: { p: number; seeds: [number, number] };
}

export function classifierForward(
  ctx: GpuContext,
  args: ClassifierDims & { w: ClassifierWeights; x: Tensor; logits: Tensor; saved: ClassifierSaved; scratch: Tensor },
): void {
  const { batch, seqLen, hidden, classes, w, saved, dropout } = args;
  const n = batch * hidden;
  if (dropout.p > 0) {
    gatherRows(ctx, { x: args.x, out: args.scratch, count: batch, stride: seqLen, cols: hidden });
    dropoutForward(ctx, { x: args.scratch, out: saved.cls, n, p: dropout.p, seed: dropout.seeds[0] });
  } else {
    gatherRows(ctx, { x: args.x, out: saved.cls, count: batch, stride: seqLen, cols: hidden });
  }
  matmul(ctx, { a: saved.cls, b: w.denseWeight, bias: w.denseBias, out: saved.hidden, M: batch, N: hidden, K: hidden, transB: true, activation: 'tanh' });
  if (dropout.p > 0) dropoutForward(ctx, { x: saved.hidden, out: saved.hiddenDropped, n, p: dropout.p, seed: dropout.seeds[1] });
  matmul(ctx, { a: saved.hiddenDropped, b: w.outWeight, bias: w.outBias, out: args.logits, M: batch, N: classes, K: hidden, transB: true });
}

/** dX [B*T, H] receives the <s> rows' gradient (other rows are left as they are: zero them first). */
export function classifierBackward(
  ctx: GpuContext,
  args: ClassifierDims & {
    w: ClassifierWeights;
    grads: ClassifierWeights;
    saved: ClassifierSaved;
    dLogits: Tensor;
    dX: Tensor;
    ones: Tensor;
    scratchA: Tensor; // [B, H]
    scratchB: Tensor; // [B, H]
  },
): void {
  const { batch, seqLen, hidden, classes, w, grads, saved, ones, scratchA, scratchB, dropout } = args;
  const n = batch * hidden;
  const drop = dropout.p > 0;
  // dHidden (after the second dropout's backward) lands in scratchB.
  denseBackward(ctx, { dy: args.dLogits, x: saved.hiddenDropped, weight: w.outWeight, dWeight: grads.outWeight, dBias: grads.outBias, ones, dx: drop ? scratchA : scratchB, rows: batch, inFeatures: hidden, outFeatures: classes });
  if (drop) dropoutBackward(ctx, { dy: scratchA, dx: scratchB, n, p: dropout.p, seed: dropout.seeds[1] });
  activationBackward(ctx, { act: 'tanh', saved: saved.hidden, dy: scratchB, dx: scratchA, n });
  // dCls lands in scratchA.
  denseBackward(ctx, { dy: scratchA, x: saved.cls, weight: w.denseWeight, dWeight: grads.denseWeight, dBias: grads.denseBias, ones, dx: scratchB, rows: batch, inFeatures: hidden, outFeatures: hidden });
  const dCls = drop ? scratchA : scratchB;
  if (drop) dropoutBackward(ctx, { dy: scratchB, dx: scratchA, n, p: dropout.p, seed: dropout.seeds[0] });
  scatterRowsAdd(ctx, { dOut: dCls, dx: args.dX, count: batch, stride: seqLen, cols: hidden });
}
