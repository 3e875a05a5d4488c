/**
 * A bottleneck adapter on a dense layer's output y, forward and backward:
 * y + up(act(down(drop(y)))), with the adapter's own dropout in training mode and Light-PEFT's
 * Importance Ratio ‖up(act(down(drop(y))))‖ / ‖y‖ (the dense output before any other dropout);
 * and the bottleneck units' Taylor scores.
 */
import type { Tensor } from '../../../gpu/buffers';
import type { GpuContext } from '../../../gpu/context';
import { adapterBackward, adapterForward, type AdapterSaved } from './adapter';
import { importanceRatio, rankScores } from '../../../kernels/scores';
import type { AdapterModule } from '../params';
import type { DropoutDraw } from './dropout-layer';
import type { BackwardPass, ForwardPass } from './step-pass';

export interface AdapterLayerSaved {
  kernel: AdapterSaved;
  /** The adapter dropout of this step, when it was on. */
  dropout?: DropoutDraw;
}

export function adapterLayerForward(pass: ForwardPass, module: AdapterModule, y: Tensor): { out: Tensor; saved: AdapterLayerSaved } {
  const { ctx, rows } = pass;
  const H = pass.config.hidden;
  const m = module.w.size;
  const kernel: AdapterSaved = { pre: pass.alloc([rows, m]), hidden: pass.alloc([rows, m]), delta: pass.alloc([rows, H]) };
  const out = pass.alloc([rows, H]);
  const dropout = pass.dropout.peft(module.dropout, module.dropoutSite);
  const dropped = dropout && ctx.empty([rows, H]);
  adapterForward(ctx, { w: module.w, y, out, saved: kernel, rows, features: H, dropout: dropout && dropped && { ...dropout, dropped } });
  if (pass.importanceBeta !== undefined) {
    importanceRatio(ctx, { delta: kernel.delta, base: y, tokenMask: pass.batch.tokenMask, tokens: rows, features: H, out: module.importance, beta: pass.importanceBeta });
  }
  dropped?.dispose();
  return { out, saved: { kernel, dropout } };
}

/** The gradient of y (a scratch tensor): dOut through the residual plus the adapter path; parameter gradients accumulate. */
export function adapterLayerBackward(pass: BackwardPass, module: AdapterModule, y: Tensor, saved: AdapterLayerSaved, dOut: Tensor): Tensor {
  const { rows, temp } = pass;
  const H = pass.config.hidden;
  const m = module.w.size;
  const dy = temp([rows, H]);
  adapterBackward(pass.ctx, {
    w: module.w,
    grads: module.grads,
    y,
    saved: saved.kernel,
    dOut,
    dy,
    dHidden: temp([rows, m]),
    dPre: temp([rows, m]),
    rows,
    features: H,
    dropout: saved.dropout && { ...saved.dropout, dropped: temp([rows, H]) },
  });
  return dy;
}

/** Taylor scores of the bottleneck units (down rows, up columns) from the current gradients: out = beta·out + score. */
export function adapterRankScores(ctx: GpuContext, module: AdapterModule, hidden: number, beta: 0 | 1): void {
  const { w, grads } = module;
  rankScores(ctx, { a: w.downWeight, gradA: grads.downWeight, b: w.upWeight, gradB: grads.upWeight, rank: w.size, inFeatures: hidden, outFeatures: hidden, out: module.rankScore, beta });
}
