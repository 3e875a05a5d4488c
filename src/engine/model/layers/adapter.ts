/**
 * Bottleneck adapter, as the Light-PEFT paper's code has it (an "output adapter" on a dense layer):
 * out = y + up(act(down(drop(y)))), down [m,H] and up [H,m] without biases, drop the adapter's own
 * dropout (training mode only). `delta` = up(act(down(drop(y)))) is kept so the Importance Ratio
 * ‖delta‖/‖y‖ can be taken.
 */
import type { GpuContext } from '../../../gpu/context';
import type { Tensor } from '../../../gpu/buffers';
import { matmul } from '../../../kernels/matmul';
import { activationBackward, activationForward, add, dropoutBackward, dropoutForward } from '../../../kernels/elementwise';
import type { AdapterActivation } from '../peft';

export interface AdapterWeights {
  downWeight: Tensor; // [m, H]
  upWeight: Tensor; // [H, m]
  size: number; // m
  activation: AdapterActivation;
}

export interface AdapterGrads {
  downWeight: Tensor; // [m, H]
  upWeight: Tensor; // [H, m]
}

export interface AdapterSaved {
  pre: Tensor; // [N, m] down(drop(y)) before the activation
  hidden: Tensor; // [N, m] act(pre)
  delta: Tensor; // [N, H]
}

/**
 * Dropout on the adapter's input, with its seed; `dropped` [N,H] is scratch that holds drop(y)
 * (the backward rebuilds it from the seed rather than keeping it).
 */
export interface AdapterDropout {
  p: number;
  seed: number;
  dropped: Tensor;
}

export function adapterForward(
  ctx: GpuContext,
  args: { w: AdapterWeights; y: Tensor; out: Tensor; saved: AdapterSaved; rows: number; features: number; dropout?: AdapterDropout },
): void {
  const { w, y, out, saved, rows, features } = args;
  const input = dropInput(ctx, y, rows * features, args.dropout);
  matmul(ctx, { a: input, b: w.downWeight, out: saved.pre, M: rows, N: w.size, K: features, transB: true });
  activationForward(ctx, { act: w.activation, x: saved.pre, out: saved.hidden, n: rows * w.size });
  matmul(ctx, { a: saved.hidden, b: w.upWeight, out: saved.delta, M: rows, N: features, K: w.size, transB: true });
  add(ctx, { a: y, b: saved.delta, out, n: rows * features });
}

/** dy = dOut + the adapter path's gradient; parameter grads accumulate. dHidden, dPre [N,m] are scratch. */
export function adapterBackward(
  ctx: GpuContext,
  args: {
    w: AdapterWeights;
    grads: AdapterGrads;
    y: Tensor;
    saved: AdapterSaved;
    dOut: Tensor; // [N,H]
    dy: Tensor; // [N,H] written
    dHidden: Tensor; // [N,m] scratch
    dPre: Tensor; // [N,m] scratch
    rows: number;
    features: number;
    dropout?: AdapterDropout;
  },
): void {
  const { w, grads, saved, dOut, dy, dHidden, dPre, rows, features, dropout } = args;
  const m = w.size;
  // dUp += dOutᵀ·hidden [H,m];  dHidden = dOut·up [N,m]
  matmul(ctx, { a: dOut, b: saved.hidden, out: grads.upWeight, M: features, N: m, K: rows, transA: true, beta: 1 });
  matmul(ctx, { a: dOut, b: w.upWeight, out: dHidden, M: rows, N: m, K: features });
  activationBackward(ctx, { act: w.activation, saved: saved.pre, dy: dHidden, dx: dPre, n: rows * m });
  // dDown += dPreᵀ·drop(y) [m,H]
  const input = dropInput(ctx, args.y, rows * features, dropout);
  matmul(ctx, { a: dPre, b: input, out: grads.downWeight, M: m, N: features, K: rows, transA: true, beta: 1 });
  // dy = dOut (the residual) + drop'(dPre·down)
  ctx.copy(dOut, dy, rows * features);
  if (!dropout) {
    matmul(ctx, { a: dPre, b: w.downWeight, out: dy, M: rows, N: features, K: m, beta: 1 });
    return;
  }
  // dPre·down goes into the scratch that held drop(y) (dDown above has read it by now).
  matmul(ctx, { a: dPre, b: w.downWeight, out: dropout.dropped, M: rows, N: features, K: m });
  dropoutBackward(ctx, { dy: dropout.dropped, dx: dy, n: rows * features, p: dropout.p, seed: dropout.seed, accumulate: true });
}

/** drop(y) in the dropout's scratch, or y itself without adapter dropout. */
function dropInput(ctx: GpuContext, y: Tensor, n: number, dropout: AdapterDropout | undefined): Tensor {
  if (!dropout) return y;
  dropoutForward(ctx, { x: y, out: dropout.dropped, n, p: dropout.p, seed: dropout.seed });
  return dropout.dropped;
}
