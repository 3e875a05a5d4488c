/**
 * Self-attention of one encoder layer with its output sub-layer, forward and backward: Q, K, V
 * (each a linear with optional LoRA), softmax attention with Light-PEFT's head mask and the
 * probabilities' dropout, then LayerNorm(dropout(adapter(dense(context))) + input).
 */
import type { Tensor } from '../../../gpu/buffers';
import { attentionBackward, attentionForward } from '../../../kernels/attention';
import type { Layer } from '../params';
import type { DropoutDraw } from './dropout-layer';
import { linearLayerBackward, linearLayerForward, type LinearSaved } from './linear-layer';
import { sublayerOutputBackward, sublayerOutputForward, type SublayerOutput, type SublayerOutputSaved } from './sublayer-output';
import type { BackwardPass, ForwardPass } from './step-pass';

export interface AttentionBlockSaved {
  input: Tensor;
  q: Tensor;
  k: Tensor;
  v: Tensor;
  qSaved: LinearSaved;
  kSaved: LinearSaved;
  vSaved: LinearSaved;
  probs: Tensor;
  context: Tensor; // disposed at the end of the forward when the output dense has no LoRA
  dropout: DropoutDraw; // of the attention probabilities
  output: SublayerOutputSaved; // its output is the block's output
}

const attentionOutput = (layer: Layer): SublayerOutput => ({ dense: layer.attentionOutput, adapter: layer.attentionAdapter, norm: layer.attentionNorm });

export function attentionBlockForward(pass: ForwardPass, layer: Layer, input: Tensor): AttentionBlockSaved {
  const { batch, config, rows } = pass;
  const dropout = { p: pass.dropout.attention, seed: pass.dropout.next() };
  const q = linearLayerForward(pass, layer.query, input);
  const k = linearLayerForward(pass, layer.key, input);
  const v = linearLayerForward(pass, layer.value, input);
  const probs = pass.alloc([batch.batch * layer.heads * batch.seqLen * batch.seqLen]);
  const context = pass.alloc([rows, layer.heads * config.headDim]);
  attentionForward(pass.ctx, {
    batch: batch.batch,
    seqLen: batch.seqLen,
    heads: layer.heads,
    headDim: config.headDim,
    q: q.out,
    k: k.out,
    v: v.out,
    attnMask: batch.tokenMask,
    headMask: layer.headMask,
    probs,
    out: context,
    dropout: dropout.p > 0 ? dropout : undefined,
  });
  const output = sublayerOutputForward(pass, attentionOutput(layer), context, input);
  // Backward reads the context only for the output dense's LoRA (dA); the head mask's gradient
  // comes from the probabilities. Without that LoRA its buffer goes back to the pool now.
  if (!layer.attentionOutput.lora) context.dispose();
  return { input, q: q.out, k: k.out, v: v.out, qSaved: q.saved, kSaved: k.saved, vSaved: v.saved, probs, context, dropout, output };
}

/**
 * Writes the input's gradient into `dInput` (the residual branch, plus Q, K, V's share when
 * `needInputGrad`: the first layer's input is the frozen embeddings) and accumulates the head
 * mask's and the PEFT modules' gradients.
 */
export function attentionBlockBackward(pass: BackwardPass, layer: Layer, s: AttentionBlockSaved, dOutput: Tensor, dInput: Tensor, needInputGrad: boolean): void {
  const { batch, config, rows, temp } = pass;
  const width = layer.heads * config.headDim;
  const dContext = temp([rows, width]);
  sublayerOutputBackward(pass, attentionOutput(layer), s.output, dOutput, dInput, dContext);
  const dQ = temp([rows, width]);
  const dK = temp([rows, width]);
  const dV = temp([rows, width]);
  attentionBackward(pass.ctx, {
    batch: batch.batch,
    seqLen: batch.seqLen,
    heads: layer.heads,
    headDim: config.headDim,
    dOut: dContext,
    q: s.q,
    k: s.k,
    v: s.v,
    attnMask: batch.tokenMask,
    headMask: layer.headMask,
    probs: s.probs,
    dQ,
    dK,
    dV,
    dHeadMask: layer.dHeadMask,
    dropout: s.dropout.p > 0 ? s.dropout : undefined,
  });
  const dx = needInputGrad ? dInput : undefined;
  linearLayerBackward(pass, layer.query, s.qSaved, dQ, s.input, dx, true);
  linearLayerBackward(pass, layer.key, s.kSaved, dK, s.input, dx, true);
  linearLayerBackward(pass, layer.value, s.vSaved, dV, s.input, dx, true);
}
