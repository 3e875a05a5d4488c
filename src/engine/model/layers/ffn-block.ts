/**
 * The feed-forward half of one encoder layer, forward and backward: intermediate dense (with
 * optional LoRA), GELU, Light-PEFT's FFN mask on its columns, then
 * LayerNorm(dropout(adapter(output dense(·))) + input).
 */
import type { Tensor } from '../../../gpu/buffers';
import { activationBackward, activationForward, scaleColumnsBackward, scaleColumnsForward } from '../../../kernels/elementwise';
import type { Layer } from '../params';
import { linearLayerBackward, linearLayerForward, type LinearSaved } from './linear-layer';
import { sublayerOutputBackward, sublayerOutputForward, type SublayerOutput, type SublayerOutputSaved } from './sublayer-output';
import type { BackwardPass, ForwardPass } from './step-pass';

/** Whether the FFN mask scales the activations at all, and whether it gets a gradient. */
export interface FfnMaskUse {
  applied: boolean;
  trained: boolean;
}

/** Tensors backward does not need are disposed at the end of the forward (see ffnBlockForward). */
export interface FfnBlockSaved {
  input: Tensor;
  interSaved: LinearSaved;
  preGelu: Tensor; // the GELU output itself when it was fused (evaluation: nothing reads it)
  gelu: Tensor;
  masked: Tensor; // gelu · ffnMask (gelu itself when the mask is not applied)
  output: SublayerOutputSaved; // its output is the block's output
}

const ffnOutput = (layer: Layer): SublayerOutput => ({ dense: layer.outputDense, adapter: layer.outputAdapter, norm: layer.outputNorm });

export function ffnBlockForward(pass: ForwardPass, layer: Layer, input: Tensor, mask: FfnMaskUse): FfnBlockSaved {
  const { ctx, rows } = pass;
  const I = layer.intermediate;
  // Without a backward (which reads GELU's input) and without LoRA on the intermediate dense (whose
  // product is added after the base matmul), GELU runs in the matmul's epilogue: one [rows, I]
  // tensor and one pass over it fewer.
  const fuseGelu = !pass.forBackward && !layer.intermediateDense.lora;
  const inter = linearLayerForward(pass, layer.intermediateDense, input, fuseGelu ? 'gelu' : undefined);
  let gelu = inter.out;
  if (!fuseGelu) {
    gelu = pass.alloc([rows, I]);
    activationForward(ctx, { act: 'gelu', x: inter.out, out: gelu, n: rows * I });
  }
  let masked = gelu;
  if (mask.applied) {
    masked = pass.alloc([rows, I]);
    scaleColumnsForward(ctx, { x: gelu, scale: layer.ffnMask, out: masked, rows, cols: I });
  }
  const output = sublayerOutputForward(pass, ffnOutput(layer), masked, input);
  // Activations backward does not read go back to the pool now (the queue has read them first):
  // the output dense's input serves only its LoRA's dA, the GELU output only the FFN mask's
  // gradient, and this block's input only the intermediate dense's LoRA (it is no hidden state).
  if (!layer.outputDense.lora) {
    if (masked !== gelu) masked.dispose();
    if (!mask.applied) gelu.dispose();
  }
  if (!layer.intermediateDense.lora) input.dispose();
  return { input, interSaved: inter.saved, preGelu: inter.out, gelu, masked, output };
}

/** Writes the input's gradient into `dInput`; accumulates the FFN mask's (when trained) and the PEFT modules' gradients. */
export function ffnBlockBackward(pass: BackwardPass, layer: Layer, s: FfnBlockSaved, dOutput: Tensor, dInput: Tensor, mask: FfnMaskUse): void {
  const { ctx, rows, temp } = pass;
  const I = layer.intermediate;
  const dMasked = temp([rows, I]);
  sublayerOutputBackward(pass, ffnOutput(layer), s.output, dOutput, dInput, dMasked);
  let dGelu = dMasked;
  if (mask.applied) {
    dGelu = temp([rows, I]);
    const dMask = mask.trained ? layer.dFfnMask : temp([I]);
    scaleColumnsBackward(ctx, { x: s.gelu, scale: layer.ffnMask, dy: dMasked, dx: dGelu, dScale: dMask, rows, cols: I });
  }
  const dPre = temp([rows, I]);
  activationBackward(ctx, { act: 'gelu', saved: s.preGelu, dy: dGelu, dx: dPre, n: rows * I });
  linearLayerBackward(pass, layer.intermediateDense, s.interSaved, dPre, s.input, dInput, true);
}
