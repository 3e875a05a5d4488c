/**
 * A fully trainable dense layer's backward (classifier head, adapter projections), built from matmul:
 * dW += dyᵀ·x, db += Σ_rows dy (a [1,N]·[N,out] product with a ones vector), dx = dy·W.
 * The forward is a plain `matmul` with bias and optional activation epilogue.
 */
import type { GpuContext } from '../../../gpu/context';
import type { Tensor } from '../../../gpu/buffers';
import { matmul } from '../../../kernels/matmul';

export function denseBackward(
  ctx: GpuContext,
  args: {
    dy: Tensor; // [N, out]
    x: Tensor; // [N, in]
    weight: Tensor; // [out, in]
    dWeight: Tensor; // [out, in] +=
    dBias: Tensor; // [out] +=
    /** At least N ones, for the bias gradient's column sum. */
    ones: Tensor;
    dx?: Tensor; // [N, in], written (or accumulated)
    accumulateDx?: boolean;
    rows: number;
    inFeatures: number;
    outFeatures: number;
  },
): void {
  const { dy, x, rows, inFeatures, outFeatures } = args;
  matmul(ctx, { a: dy, b: x, out: args.dWeight, M: outFeatures, N: inFeatures, K: rows, transA: true, beta: 1 });
  matmul(ctx, { a: args.ones, b: dy, out: args.dBias, M: 1, N: outFeatures, K: rows, beta: 1 });
  if (args.dx) {
    matmul(ctx, { a: dy, b: args.weight, out: args.dx, M: rows, N: inFeatures, K: outFeatures, beta: args.accumulateDx ? 1 : 0 });
  }
}
