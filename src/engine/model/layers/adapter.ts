/**
 * Bottleneck adapter: out = y + up(act(down(y))), down [m,H], up [H,m], both with biases.
 * `delta` (= up(act(down(y)))) is kept so the Importance Ratio ‖delta‖/‖y‖ can be taken.
 */
import type { GpuContext } from '../../../gpu/context';
import type { Tensor } from '../../../gpu/buffers';
import { matmul } from '../../../kernels/matmul';
import { activationBackward, activationForward, add } from '../../../kernels/elementwise';
import { denseBackward } from './dense';
import type { AdapterActivation } from '../peft';

export interface AdapterWeights {
  downWeight: Tensor; // [m, H]
  downBias: Tensor; // [m]
  upWeight: Tensor; // [H, m]
  upBias: Tensor; // [H]
  size: number; // m
  activation: AdapterActivation;
}

export interface AdapterSaved {
  pre: Tensor; // [N, m] down(y) before the activation
  hidden: Tensor; // [N, m] act(pre)
  delta: Tensor; // [N, H]
}

export function adapterForward(
  ctx: GpuContext,
  args: { w: AdapterWeights; y: Tensor; out: Tensor; saved: AdapterSaved; rows: number; features: number },
): void {
  const { w, y, out, saved, rows, features } = args;
  matmul(ctx, { a: y, b: w.downWeight, bias: w.downBias, out: saved.pre, M: rows, N: w.size, K: features, transB: true });
  activationForward(ctx, { act: w.activation, x: saved.pre, out: saved.hidden, n: rows * w.size });
  matmul(ctx, { a: saved.hidden, b: w.upWeight, bias: w.upBias, out: saved.delta, M: rows, N: features, K: w.size, transB: true });
  add(ctx, { a: y, b: saved.delta, out, n: rows * features });
}

/** dy = dOut + the adapter path's gradient; parameter grads accumulate. dHidden, dPre [N,m] are scratch. */
export function adapterBackward(
  ctx: GpuContext,
  args: {
    w: AdapterWeights;
    grads: { downWeight: Tensor; downBias: Tensor; upWeight: Tensor; upBias: Tensor };
    y: Tensor;
    saved: AdapterSaved;
    dOut: Tensor; // [N,H]
    dy: Tensor; // [N,H] written
    dHidden: Tensor; // [N,m] scratch
    dPre: Tensor; // [N,m] scratch
    ones: Tensor;
    rows: number;
    features: number;
  },
): void {
  const { w, grads, y, saved, dOut, dy, rows, features, ones } = args;
  const m = w.size;
  denseBackward(ctx, { dy: dOut, x: saved.hidden, weight: w.upWeight, dWeight: grads.upWeight, dBias: grads.upBias, ones, dx: args.dHidden, rows, inFeatures: m, outFeatures: features });
  activationBackward(ctx, { act: w.activation, saved: saved.pre, dy: args.dHidden, dx: args.dPre, n: rows * m });
  ctx.copy(dOut, dy, rows * features);
  denseBackward(ctx, { dy: args.dPre, x: y, weight: w.downWeight, dWeight: grads.downWeight, dBias: grads.downBias, ones, dx: dy, accumulateDx: true, rows, inFeatures: features, outFeatures: m });
}
