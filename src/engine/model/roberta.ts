/**
 * RoBERTa for sequence classification with PEFT modules and Light-PEFT masks: the schedule of its
 * layers (layers/), forward over the layers, the loss, backward over the layers in reverse, and
 * the model's parameters. Activations stay on the GPU; the backward consumes the forward's saved
 * tensors and disposes them as it goes.
 */
import type { GpuContext } from '../../gpu/context';
import { Tensor } from '../../gpu/buffers';
import type { ModelConfig } from './config';
import type { DeviceBatch } from './batch';
import type { Classifier, Embeddings, Layer, ParamGroupName, PeftModule, TrainableParam } from './params';
import { linearsOf, peftModulesOf } from './params';
import { adapterTensorName, CLASSIFIER_TENSORS, ffnMaskName, headMaskName, loraTensorName } from './names';
import { crossEntropy } from '../../kernels/cross-entropy';
import { maskL1 } from '../../kernels/mask-l1';
import type { Alloc, BackwardPass, ForwardPass } from './layers/step-pass';
import { StepDropout } from './layers/dropout-layer';
import { embeddingsForward } from './layers/embeddings-layer';
import { attentionBlockBackward, attentionBlockForward, type AttentionBlockSaved } from './layers/attention-block';
import { ffnBlockBackward, ffnBlockForward, type FfnBlockSaved, type FfnMaskUse } from './layers/ffn-block';
import { classifierHeadBackward, classifierHeadForward, type ClassifierHeadSaved } from './layers/classifier-head';
import { loraRankScores } from './layers/linear-layer';
import { adapterRankScores } from './layers/adapter-layer';

export interface ForwardOptions {
  /** Dropout on (training) with this step's seed; off when undefined (evaluation). */
  dropoutSeed?: number;
  /** Importance Ratios of PEFT modules: 0 writes this batch's value, 1 adds it to the running sum. */
  importanceBeta?: 0 | 1;
  /**
   * Keep activations for a backward pass. Without it (evaluation, inference) each block's
   * activations go back to the pool as soon as its output exists.
   */
  forBackward: boolean;
}

export interface LossWeights {
  lambdaHead: number;
  lambdaFfn: number;
}

interface LayerSaved {
  attention: AttentionBlockSaved; // its output is the input of the FFN
  ffn: FfnBlockSaved; // its output is the layer's output
}

export interface ForwardResult {
  batch: DeviceBatch;
  logits: Tensor; // [B, C]
  /** hidden_states[0] = embeddings, [i+1] = layer i output, each [B*T, H] (forBackward only). */
  hiddenStates: Tensor[];
  /** What each layer saved for the backward pass (forBackward only). */
  layers: LayerSaved[];
  classifier: ClassifierHeadSaved;
  /** Every tensor this forward allocated, disposed by `release`. */
  owned: Tensor[];
}

export class RobertaModel {
  constructor(
    readonly ctx: GpuContext,
    readonly config: ModelConfig,
    readonly embeddings: Embeddings,
    readonly layers: Layer[],
    readonly classifier: Classifier,
    /** Masks get gradients (Light-PEFT estimation, or `grad`); otherwise they are constants. */
    public trainMasks: boolean,
    /**
     * Whether FFN masks scale the activations at all. Off when they are all ones and frozen (plain
     * PEFT, or after pruning), which saves a kernel and an [N, I] activation per layer each way.
     */
    public ffnMasksApplied = true,
  ) {}

  private get ffnMask(): FfnMaskUse {
    return { applied: this.trainMasks || this.ffnMasksApplied, trained: this.trainMasks };
  }

  peftModules(): PeftModule[] {
    return this.layers.flatMap(peftModulesOf);
  }

  /** Every trainable tensor with its gradient and optimizer group, under its export name. */
  trainableParams(): TrainableParam[] {
    const params: TrainableParam[] = [];
    for (const m of this.peftModules()) {
      if (m.kind === 'lora') {
        params.push({ name: loraTensorName(m.module, 'A'), tensor: m.A, grad: m.dA, group: 'peft' });
        params.push({ name: loraTensorName(m.module, 'B'), tensor: m.B, grad: m.dB, group: 'peft' });
      } else {
        params.push({ name: adapterTensorName(m.module, 'down'), tensor: m.w.downWeight, grad: m.grads.downWeight, group: 'peft' });
        params.push({ name: adapterTensorName(m.module, 'up'), tensor: m.w.upWeight, grad: m.grads.upWeight, group: 'peft' });
      }
    }
    if (this.trainMasks) {
      for (const layer of this.layers) {
        params.push({ name: headMaskName(layer.index), tensor: layer.headMask, grad: layer.dHeadMask, group: 'mask' });
        params.push({ name: ffnMaskName(layer.index), tensor: layer.ffnMask, grad: layer.dFfnMask, group: 'mask' });
      }
    }
    const { w, grads } = this.classifier;
    for (const key of ['denseWeight', 'denseBias', 'outWeight', 'outBias'] as const) {
      params.push({ name: CLASSIFIER_TENSORS[key], tensor: w[key], grad: grads[key], group: 'head' });
    }
    return params;
  }

  /**
   * Frozen base parameters now (embeddings and encoder; fewer after pruning); `gpu`: only those on
   * the GPU, i.e. without the word table, which stays in host memory (host-table.ts).
   */
  baseParameterCount(where: 'all' | 'gpu' = 'all'): number {
    const e = this.embeddings;
    let n = (where === 'all' ? e.word.data.length : 0) + e.position.size + e.tokenType.size + e.norm.gamma.size + e.norm.beta.size;
    for (const layer of this.layers) {
      for (const lin of linearsOf(layer)) n += lin.weight.size + lin.bias.size;
      n += layer.attentionNorm.gamma.size + layer.attentionNorm.beta.size + layer.outputNorm.gamma.size + layer.outputNorm.beta.size;
    }
    return n;
  }

  /** Trainable parameters, of every group or of the groups named (e.g. ['peft']: the PEFT modules alone). */
  trainableParameterCount(groups?: ParamGroupName[]): number {
    return this.trainableParams()
      .filter((p) => !groups || groups.includes(p.group))
      .reduce((n, p) => n + p.tensor.size, 0);
  }

  /** Frees every GPU tensor the model holds (walks its structures, so no field is forgotten). */
  dispose(): void {
    const seen = new Set<unknown>();
    const visit = (value: unknown): void => {
      if (value === null || typeof value !== 'object' || seen.has(value)) return;
      seen.add(value);
      if (value instanceof Tensor) value.dispose();
      else if (ArrayBuffer.isView(value)) return; // host data (the word table): nothing to free, and too big to walk
      else for (const child of Object.values(value)) visit(child);
    };
    visit([this.embeddings, this.layers, this.classifier]);
  }

  zeroGrads(): void {
    for (const p of this.trainableParams()) this.ctx.zero(p.grad);
    if (!this.trainMasks) for (const layer of this.layers) this.ctx.zero(layer.dHeadMask);
  }

  forward(batch: DeviceBatch, options: ForwardOptions): ForwardResult {
    const owned: Tensor[] = [];
    const pass = this.forwardPass(batch, options, (shape) => {
      const t = this.ctx.empty(shape);
      owned.push(t);
      return t;
    });
    let x = embeddingsForward(pass, this.embeddings);
    const hiddenStates = options.forBackward ? [x] : [];
    const saved: LayerSaved[] = [];
    for (const layer of this.layers) {
      if (options.forBackward) {
        const s = this.layerForward(pass, layer, x);
        saved.push(s);
        x = s.ffn.output.output;
        hiddenStates.push(x);
      } else {
        x = this.layerForwardFreeing(pass, layer, x, owned);
      }
    }
    const head = classifierHeadForward(pass, this.classifier, x);
    return { batch, logits: head.logits, hiddenStates, layers: saved, classifier: head.saved, owned };
  }

  /**
   * Task loss (mean cross-entropy) and total loss (+ λ·Σ|masks|) on the GPU; writes dLogits
   * and adds the L1 subgradients to the mask gradients. Call after zeroGrads().
   */
  loss(result: ForwardResult, weights: LossWeights): { taskLoss: Tensor; totalLoss: Tensor; dLogits: Tensor } {
    const { ctx, config } = this;
    const { batch } = result;
    if (!batch.labels) throw new Error('loss() needs a batch with labels');
    const taskLoss = ctx.empty([1], 'f32', 'loss.task');
    const totalLoss = ctx.empty([1], 'f32', 'loss');
    const dLogits = ctx.empty([batch.batch, config.numLabels]);
    crossEntropy(ctx, { logits: result.logits, labels: batch.labels, loss: taskLoss, dLogits, batch: batch.batch, classes: config.numLabels });
    ctx.copy(taskLoss, totalLoss);
    if (this.trainMasks) {
      for (const layer of this.layers) {
        if (weights.lambdaHead !== 0) maskL1(ctx, { mask: layer.headMask, grad: layer.dHeadMask, loss: totalLoss, n: layer.heads, lambda: weights.lambdaHead });
        if (weights.lambdaFfn !== 0) maskL1(ctx, { mask: layer.ffnMask, grad: layer.dFfnMask, loss: totalLoss, n: layer.intermediate, lambda: weights.lambdaFfn });
      }
    }
    return { taskLoss, totalLoss, dLogits };
  }

  /** Accumulates every trainable gradient from dLogits. The caller releases the forward afterwards. */
  backward(result: ForwardResult, dLogits: Tensor): void {
    const { ctx, config } = this;
    const { batch } = result;
    if (result.layers.length !== this.layers.length) throw new Error('backward() needs a forward with forBackward: true');
    const dX = ctx.zeros([batch.batch * batch.seqLen, config.hidden]);
    this.withBackwardPass(batch, (pass) => classifierHeadBackward(pass, this.classifier, result.classifier, dLogits, dX));
    let grad: Tensor | null = dX;
    for (let i = this.layers.length - 1; i >= 0 && grad; i--) {
      grad = this.layerBackward(this.layers[i], result.layers[i], grad, batch, i > 0);
    }
    grad?.dispose();
  }

  /** Taylor rank scores from the current gradients: out = beta·out + score. */
  rankScores(beta: 0 | 1): void {
    for (const layer of this.layers) {
      for (const lin of linearsOf(layer)) loraRankScores(this.ctx, lin, beta);
      for (const adapter of [layer.attentionAdapter, layer.outputAdapter]) if (adapter) adapterRankScores(this.ctx, adapter, this.config.hidden, beta);
    }
  }

  release(result: ForwardResult): void {
    for (const t of result.owned) t.dispose();
  }

  private forwardPass(batch: DeviceBatch, options: ForwardOptions, alloc: Alloc): ForwardPass {
    const rows = batch.batch * batch.seqLen;
    const dropout = new StepDropout(options.dropoutSeed, this.config);
    return { ctx: this.ctx, config: this.config, batch, rows, alloc, dropout, importanceBeta: options.importanceBeta, forBackward: options.forBackward };
  }

  /** Runs `body` with a backward pass whose scratch tensors are freed when it returns. */
  private withBackwardPass<T>(batch: DeviceBatch, body: (pass: BackwardPass) => T): T {
    const temps: Tensor[] = [];
    const temp = (shape: number[]) => {
      const t = this.ctx.empty(shape);
      temps.push(t);
      return t;
    };
    const result = body({ ctx: this.ctx, config: this.config, batch, rows: batch.batch * batch.seqLen, temp });
    for (const t of temps) t.dispose();
    return result;
  }

  private layerForward(pass: ForwardPass, layer: Layer, input: Tensor): LayerSaved {
    const attention = attentionBlockForward(pass, layer, input);
    const ffn = ffnBlockForward(pass, layer, attention.output.output, this.ffnMask);
    return { attention, ffn };
  }

  /**
   * An evaluation-mode layer that keeps only its output. Each block's activations are disposed as
   * soon as its output exists, and the layer's input (when this forward allocated it) once the
   * attention block has read it, so the peak is the larger block's, not the two together. Later
   * dispatches may reuse their buffers: the queue runs dispatches in order, so the reads come first.
   */
  private layerForwardFreeing(pass: ForwardPass, layer: Layer, input: Tensor, owned: Tensor[]): Tensor {
    const attentionOutput = this.blockFreeing(pass, (p) => attentionBlockForward(p, layer, input).output.output);
    const inputIndex = owned.indexOf(input);
    if (inputIndex >= 0) owned.splice(inputIndex, 1)[0].dispose();
    const output = this.blockFreeing(pass, (p) => ffnBlockForward(p, layer, attentionOutput, this.ffnMask).output.output);
    attentionOutput.dispose();
    owned.push(output);
    return output;
  }

  /** Runs one block with its own allocations and disposes all of them but the output it returns. */
  private blockFreeing(pass: ForwardPass, block: (pass: ForwardPass) => Tensor): Tensor {
    const temporaries: Tensor[] = [];
    const output = block({ ...pass, alloc: (shape) => {
      const t = this.ctx.empty(shape);
      temporaries.push(t);
      return t;
    } });
    for (const t of temporaries) if (t !== output) t.dispose();
    return output;
  }

  /** Backward through one layer; consumes dOutput and returns the input's gradient (null when not needed). */
  private layerBackward(layer: Layer, s: LayerSaved, dOutput: Tensor, batch: DeviceBatch, needInputGrad: boolean): Tensor | null {
    const { ctx, config } = this;
    const shape = [batch.batch * batch.seqLen, config.hidden];
    const dInput = this.withBackwardPass(batch, (pass) => {
      const dAttentionOutput = ctx.empty(shape);
      ffnBlockBackward(pass, layer, s.ffn, dOutput, dAttentionOutput, this.ffnMask);
      dOutput.dispose();
      const d = ctx.empty(shape);
      attentionBlockBackward(pass, layer, s.attention, dAttentionOutput, d, needInputGrad);
      dAttentionOutput.dispose();
      return d;
    });
    if (needInputGrad) return dInput;
    dInput.dispose();
    return null;
  }
}
