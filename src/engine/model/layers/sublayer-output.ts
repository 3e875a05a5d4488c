/**
 * The end of an attention block or an FFN, forward and backward: HF's RobertaSelfOutput /
 * RobertaOutput with the Light-PEFT paper's bottleneck adapter inside the dense layer,
 * LayerNorm(dropout(adapter(dense(x))) + residual input).
 */
import type { Tensor } from '../../../gpu/buffers';
import { add } from '../../../kernels/elementwise';
import { layerNormBackward, layerNormForward } from '../../../kernels/layernorm';
import type { AdapterModule, LayerNormParams, Linear } from '../params';
import { adapterLayerBackward, adapterLayerForward, type AdapterLayerSaved } from './adapter-layer';
import { dropoutLayerBackward, dropoutLayerForward, type DropoutDraw } from './dropout-layer';
import { linearLayerBackward, linearLayerForward, type LinearSaved } from './linear-layer';
import type { BackwardPass, ForwardPass } from './step-pass';

export interface SublayerOutput {
  dense: Linear;
  adapter?: AdapterModule;
  norm: LayerNormParams;
}

export interface SublayerOutputSaved {
  input: Tensor; // the dense layer's input
  dense: LinearSaved;
  denseOut: Tensor; // dense(x): the adapter's input (disposed at the end of the forward when there is no adapter)
  adapter?: AdapterLayerSaved;
  dropout: DropoutDraw;
  residual: Tensor; // dropout(…) + residual input: the LayerNorm's input
  mean: Tensor;
  rstd: Tensor;
  output: Tensor;
}

export function sublayerOutputForward(pass: ForwardPass, sub: SublayerOutput, input: Tensor, residualInput: Tensor): SublayerOutputSaved {
  const { ctx, rows, config } = pass;
  const H = config.hidden;
  const dropout = { p: pass.dropout.hidden, seed: pass.dropout.next() };
  const dense = linearLayerForward(pass, sub.dense, input);
  let branch = dense.out;
  let adapter: AdapterLayerSaved | undefined;
  if (sub.adapter) {
    const r = adapterLayerForward(pass, sub.adapter, dense.out);
    adapter = r.saved;
    branch = r.out;
  }
  const dropped = dropoutLayerForward(pass, branch, rows * H, dropout);
  const residual = pass.alloc([rows, H]);
  add(ctx, { a: dropped, b: residualInput, out: residual, n: rows * H });
  // Backward never reads these: dropout's mask comes back from its seed, and only the adapter reads
  // dense(x). Their buffers go back to the pool now; the queue runs in order, so the add above has
  // read them before a later dispatch can reuse them.
  if (dropped !== branch) dropped.dispose();
  if (branch !== dense.out) branch.dispose();
  if (!sub.adapter) dense.out.dispose();
  const saved = { input, dense: dense.saved, denseOut: dense.out, adapter, dropout, residual, mean: pass.alloc([rows]), rstd: pass.alloc([rows]), output: pass.alloc([rows, H]) };
  layerNormForward(ctx, { x: residual, ...sub.norm, out: saved.output, mean: saved.mean, rstd: saved.rstd, rows, cols: H, eps: config.layerNormEps });
  return saved;
}

/** Writes the residual input's gradient into `dResidualInput` and the dense input's into `dInput`. */
export function sublayerOutputBackward(pass: BackwardPass, sub: SublayerOutput, s: SublayerOutputSaved, dOutput: Tensor, dResidualInput: Tensor, dInput: Tensor): void {
  const { rows } = pass;
  const H = pass.config.hidden;
  layerNormBackward(pass.ctx, { dy: dOutput, x: s.residual, gamma: sub.norm.gamma, mean: s.mean, rstd: s.rstd, dx: dResidualInput, rows, cols: H });
  let dBranch = dropoutLayerBackward(pass, dResidualInput, rows * H, s.dropout);
  if (sub.adapter && s.adapter) dBranch = adapterLayerBackward(pass, sub.adapter, s.denseOut, s.adapter, dBranch);
  linearLayerBackward(pass, sub.dense, s.dense, dBranch, s.input, dInput, false);
}
