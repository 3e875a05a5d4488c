/**
 * A frozen linear layer with optional LoRA, forward and backward: the LoRA path's dropout (training
 * mode) and Light-PEFT's Importance Ratio ‖s·B·A·drop(x)‖ / ‖Wx + b‖ in the forward, exact
 * gradients of A and B (and of x) in the backward; and the LoRA ranks' Taylor scores.
 */
import type { Tensor } from '../../../gpu/buffers';
import { linearBackward, linearForward, type ImportanceRequest } from './linear';
import { rankScores } from '../../../kernels/scores';
import type { GpuContext } from '../../../gpu/context';
import type { Linear } from '../params';
import type { Activation } from '../../../kernels/wgsl-math';
import type { DropoutDraw } from './dropout-layer';
import type { BackwardPass, ForwardPass } from './step-pass';

export interface LinearSaved {
  /** drop(x)·Aᵀ [N, r], when the layer has LoRA. */
  u?: Tensor;
  /** The LoRA dropout of this step, when it was on. */
  dropout?: DropoutDraw;
}

/** `activation` (a layer without LoRA only) is applied to the output in the matmul's epilogue. */
export function linearLayerForward(pass: ForwardPass, lin: Linear, x: Tensor, activation?: Activation): { out: Tensor; saved: LinearSaved } {
  const { ctx, rows } = pass;
  const shape = { rows, inFeatures: lin.inFeatures, outFeatures: lin.outFeatures };
  const out = pass.alloc([rows, lin.outFeatures]);
  const lora = lin.lora;
  if (!lora) {
    linearForward(ctx, { ...shape, x, weight: lin.weight, bias: lin.bias, out, activation });
    return { out, saved: {} };
  }
  if (activation) throw new Error('linearLayerForward: an activation goes in the epilogue only without LoRA');
  const u = pass.alloc([rows, lora.rank]);
  let importance: ImportanceRequest | undefined;
  let delta: Tensor | undefined;
  if (pass.importanceBeta !== undefined) {
    delta = ctx.empty([rows, lin.outFeatures]);
    importance = { tokenMask: pass.batch.tokenMask, out: lora.importance, beta: pass.importanceBeta, delta };
  }
  const dropout = pass.dropout.peft(lora.dropout, lora.dropoutSite);
  const dropped = dropout && ctx.empty([rows, lin.inFeatures]);
  linearForward(ctx, {
    ...shape,
    x,
    weight: lin.weight,
    bias: lin.bias,
    out,
    lora: { A: lora.A, B: lora.B, rank: lora.rank, scale: lora.scale, u, dropout: dropout && dropped && { ...dropout, dropped } },
    importance,
  });
  delta?.dispose();
  dropped?.dispose();
  return { out, saved: { u, dropout } };
}

/** Accumulates dA, dB; writes dx (or adds to it when `accumulateDx`), skipped when dx is undefined. */
export function linearLayerBackward(pass: BackwardPass, lin: Linear, saved: LinearSaved, dy: Tensor, x: Tensor, dx: Tensor | undefined, accumulateDx: boolean): void {
  const { rows } = pass;
  const lora = lin.lora;
  linearBackward(pass.ctx, {
    rows,
    inFeatures: lin.inFeatures,
    outFeatures: lin.outFeatures,
    dy,
    x,
    weight: lin.weight,
    dx,
    accumulateDx,
    lora:
      lora && saved.u
        ? {
            A: lora.A,
            B: lora.B,
            rank: lora.rank,
            scale: lora.scale,
            u: saved.u,
            du: pass.temp([rows, lora.rank]),
            dA: lora.dA,
            dB: lora.dB,
            dropout: saved.dropout && { ...saved.dropout, dropped: pass.temp([rows, lin.inFeatures]) },
          }
        : undefined,
  });
}

/** Taylor rank scores of the layer's LoRA from its current gradients: out = beta·out + score. */
export function loraRankScores(ctx: GpuContext, lin: Linear, beta: 0 | 1): void {
  const m = lin.lora;
  if (!m) return;
  rankScores(ctx, { a: m.A, gradA: m.dA, b: m.B, gradB: m.dB, rank: m.rank, inFeatures: lin.inFeatures, outFeatures: lin.outFeatures, out: m.rankScore, beta });
}
