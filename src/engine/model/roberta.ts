/**
 * RoBERTa for sequence classification with PEFT modules and Light-PEFT masks: the forward and
 * backward schedule over our kernels. Activations stay on the GPU; the backward consumes the
 * forward's saved tensors and disposes them as it goes.
 */
import type { GpuContext } from '../../gpu/context';
import { Tensor } from '../../gpu/buffers';
import type { ModelConfig } from './config';
import type { DeviceBatch } from './batch';
import type { AdapterModule, Classifier, Embeddings, Layer, LayerNormParams, Linear, ParamGroupName, PeftModule, TrainableParam } from './params';
import { linearsOf, peftModulesOf } from './params';
import { headMaskName, ffnMaskName, loraTensorName } from './peft';
import { embeddingForward } from '../../kernels/embedding';
import { layerNormBackward, layerNormForward } from '../../kernels/layernorm';
import { linearBackward, linearForward, type ImportanceRequest } from './layers/linear';
import { attentionBackward, attentionForward } from '../../kernels/attention';
import {
  activationBackward,
  activationForward,
  add,
  dropoutBackward,
  dropoutForward,
  scaleColumnsBackward,
  scaleColumnsForward,
} from '../../kernels/elementwise';
import { adapterBackward, adapterForward, type AdapterSaved } from './layers/adapter';
import { classifierBackward, classifierForward, type ClassifierSaved } from './layers/classifier';
import { crossEntropy } from '../../kernels/cross-entropy';
import { maskL1 } from '../../kernels/mask-l1';
import { importanceRatio, rankScores } from '../../kernels/scores';

export interface ForwardOptions {
  /** Dropout on (training) with this step's seed; off when undefined (evaluation). */
  dropoutSeed?: number;
  /** Importance Ratios of PEFT modules: 0 writes this batch's value, 1 adds it to the running sum. */
  importanceBeta?: 0 | 1;
  /**
   * Keep activations for a backward pass. Without it (evaluation, inference) each layer's
   * activations go back to the pool as soon as the next layer's input exists.
   */
  forBackward: boolean;
}

export interface LossWeights {
  lambdaHead: number;
  lambdaFfn: number;
}

interface LinearSaved {
  u?: Tensor;
}

/**
 * What the end of a sub-layer saves (HF's RobertaSelfOutput / RobertaOutput, plus our adapter):
 * dense result → dropout → adapter → LayerNorm(· + residual input).
 */
interface SublayerOutputSaved {
  dense: Tensor; // the dense result after dropout (the adapter's input)
  adapter?: AdapterSaved;
  residual: Tensor;
  mean: Tensor;
  rstd: Tensor;
  output: Tensor;
}

interface LayerSaved {
  input: Tensor;
  q: Tensor;
  k: Tensor;
  v: Tensor;
  qSaved: LinearSaved;
  kSaved: LinearSaved;
  vSaved: LinearSaved;
  probs: Tensor;
  context: Tensor;
  attnOutSaved: LinearSaved;
  attention: SublayerOutputSaved; // its output is the input of the FFN
  interSaved: LinearSaved;
  preGelu: Tensor;
  gelu: Tensor;
  masked: Tensor; // gelu · ffnMask
  outSaved: LinearSaved;
  ffn: SublayerOutputSaved; // its output is the layer's output
  seeds: LayerSeeds;
}

interface LayerSeeds {
  attention: number;
  attentionOutput: number;
  output: number;
}

export interface ForwardResult {
  batch: DeviceBatch;
  logits: Tensor; // [B, C]
  /** hidden_states[0] = embeddings, [i+1] = layer i output, each [B*T, H] (forBackward only). */
  hiddenStates: Tensor[];
  /** What each layer saved for the backward pass (forBackward only). */
  layers: LayerSaved[];
  classifier: ClassifierSaved;
  dropoutP: { hidden: number; attention: number };
  classifierSeeds: [number, number];
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

  private get masksActive(): boolean {
    return this.trainMasks || this.ffnMasksApplied;
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
        for (const key of ['downWeight', 'downBias', 'upWeight', 'upBias'] as const) {
          params.push({ name: `${m.module}.${adapterTensorSuffix[key]}`, tensor: m.w[key], grad: m.grads[key], group: 'peft' });
        }
      }
    }
    if (this.trainMasks) {
      for (const layer of this.layers) {
        params.push({ name: headMaskName(layer.index), tensor: layer.headMask, grad: layer.dHeadMask, group: 'mask' });
        params.push({ name: ffnMaskName(layer.index), tensor: layer.ffnMask, grad: layer.dFfnMask, group: 'mask' });
      }
    }
    const { w, grads } = this.classifier;
    params.push({ name: 'classifier.dense.weight', tensor: w.denseWeight, grad: grads.denseWeight, group: 'head' });
    params.push({ name: 'classifier.dense.bias', tensor: w.denseBias, grad: grads.denseBias, group: 'head' });
    params.push({ name: 'classifier.out_proj.weight', tensor: w.outWeight, grad: grads.outWeight, group: 'head' });
    params.push({ name: 'classifier.out_proj.bias', tensor: w.outBias, grad: grads.outBias, group: 'head' });
    return params;
  }

  /** Frozen base parameters on the GPU now (embeddings and encoder; fewer after pruning). */
  baseParameterCount(): number {
    const e = this.embeddings;
    let n = e.word.size + e.position.size + e.tokenType.size + e.norm.gamma.size + e.norm.beta.size;
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
      else for (const child of Object.values(value)) visit(child);
    };
    visit([this.embeddings, this.layers, this.classifier]);
  }

  zeroGrads(): void {
    for (const p of this.trainableParams()) this.ctx.zero(p.grad);
    if (!this.trainMasks) for (const layer of this.layers) this.ctx.zero(layer.dHeadMask);
  }

  forward(batch: DeviceBatch, options: ForwardOptions): ForwardResult {
    const { ctx, config } = this;
    const { batch: B, seqLen: T } = batch;
    const N = B * T;
    const H = config.hidden;
    const train = options.dropoutSeed !== undefined;
    const dropoutP = { hidden: train ? config.hiddenDropout : 0, attention: train ? config.attentionDropout : 0 };
    const seed = seedStream(options.dropoutSeed ?? 0);
    const owned: Tensor[] = [];
    const alloc = (shape: number[]) => {
      const t = ctx.empty(shape);
      owned.push(t);
      return t;
    };

    const embedded = alloc([N, H]);
    embeddingForward(ctx, {
      inputIds: batch.inputIds,
      wordEmb: this.embeddings.word,
      posEmb: this.embeddings.position,
      typeEmb: this.embeddings.tokenType,
      out: embedded,
      batch: B,
      seqLen: T,
      hidden: H,
      padId: config.padTokenId,
    });
    const embNorm = alloc([N, H]);
    const scratchMean = alloc([N]);
    const scratchRstd = alloc([N]);
    layerNormForward(ctx, { x: embedded, ...this.embeddings.norm, out: embNorm, mean: scratchMean, rstd: scratchRstd, rows: N, cols: H, eps: config.layerNormEps });
    let x = this.dropout(embNorm, N * H, dropoutP.hidden, seed(), alloc);

    const hiddenStates = options.forBackward ? [x] : [];
    const saved: LayerSaved[] = [];
    for (const layer of this.layers) {
      if (options.forBackward) {
        const s = this.layerForward(layer, x, batch, options, dropoutP, seed, alloc);
        saved.push(s);
        x = s.ffn.output;
        hiddenStates.push(x);
      } else {
        x = this.layerForwardFreeing(layer, x, batch, options, dropoutP, seed, owned);
      }
    }

    const logits = alloc([B, config.numLabels]);
    const classifierHidden = alloc([B, H]);
    const classifierSaved: ClassifierSaved = {
      cls: alloc([B, H]),
      hidden: classifierHidden,
      hiddenDropped: dropoutP.hidden > 0 ? alloc([B, H]) : classifierHidden,
    };
    const scratch = alloc([B, H]);
    const classifierSeeds: [number, number] = [seed(), seed()];
    classifierForward(ctx, {
      batch: B,
      seqLen: T,
      hidden: H,
      classes: config.numLabels,
      dropout: { p: dropoutP.hidden, seeds: classifierSeeds },
      w: this.classifier.w,
      x,
      logits,
      saved: classifierSaved,
      scratch,
    });
    return { batch, logits, hiddenStates, layers: saved, classifier: classifierSaved, dropoutP, classifierSeeds, owned };
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
    const N = batch.batch * batch.seqLen;
    const H = config.hidden;
    const dX = ctx.zeros([N, H]);
    const scratchA = ctx.empty([batch.batch, H]);
    const scratchB = ctx.empty([batch.batch, H]);
    classifierBackward(ctx, {
      batch: batch.batch,
      seqLen: batch.seqLen,
      hidden: H,
      classes: config.numLabels,
      dropout: { p: result.dropoutP.hidden, seeds: result.classifierSeeds },
      w: this.classifier.w,
      grads: this.classifier.grads,
      saved: result.classifier,
      dLogits,
      dX,
      ones: batch.ones,
      scratchA,
      scratchB,
    });
    scratchA.dispose();
    scratchB.dispose();
    let grad: Tensor | null = dX;
    for (let i = this.layers.length - 1; i >= 0 && grad; i--) {
      grad = this.layerBackward(this.layers[i], result.layers[i], grad, batch, result.dropoutP, i > 0);
    }
    grad?.dispose();
  }

  /** Taylor rank scores from the current gradients: out = beta·out + score. */
  rankScores(beta: 0 | 1): void {
    for (const m of this.peftModules()) {
      if (m.kind === 'lora') {
        const lin = this.linearOf(m.module);
        rankScores(this.ctx, { a: m.A, gradA: m.dA, b: m.B, gradB: m.dB, rank: m.rank, inFeatures: lin.inFeatures, outFeatures: lin.outFeatures, out: m.rankScore, beta });
      } else {
        const H = this.config.hidden;
        rankScores(this.ctx, { a: m.w.downWeight, gradA: m.grads.downWeight, b: m.w.upWeight, gradB: m.grads.upWeight, rank: m.w.size, inFeatures: H, outFeatures: H, out: m.rankScore, beta });
      }
    }
  }

  release(result: ForwardResult): void {
    for (const t of result.owned) t.dispose();
  }

  private linearOf(module: string): Linear {
    for (const layer of this.layers) for (const lin of linearsOf(layer)) if (lin.module === module) return lin;
    throw new Error(`no linear layer ${module}`);
  }

  private dropout(x: Tensor, n: number, p: number, seed: number, alloc: (shape: number[]) => Tensor): Tensor {
    if (p === 0) return x;
    const out = alloc([n]);
    dropoutForward(this.ctx, { x, out, n, p, seed });
    return out;
  }

  private linear(lin: Linear, x: Tensor, rows: number, options: ForwardOptions, batch: DeviceBatch, alloc: (shape: number[]) => Tensor): { out: Tensor; saved: LinearSaved } {
    const out = alloc([rows, lin.outFeatures]);
    const lora = lin.lora;
    if (!lora) {
      linearForward(this.ctx, { rows, inFeatures: lin.inFeatures, outFeatures: lin.outFeatures, x, weight: lin.weight, bias: lin.bias, out });
      return { out, saved: {} };
    }
    const u = alloc([rows, lora.rank]);
    let importance: ImportanceRequest | undefined;
    let delta: Tensor | undefined;
    if (options.importanceBeta !== undefined) {
      delta = this.ctx.empty([rows, lin.outFeatures]);
      importance = { tokenMask: batch.tokenMask, out: lora.importance, beta: options.importanceBeta, delta };
    }
    linearForward(this.ctx, {
      rows,
      inFeatures: lin.inFeatures,
      outFeatures: lin.outFeatures,
      x,
      weight: lin.weight,
      bias: lin.bias,
      out,
      lora: { A: lora.A, B: lora.B, rank: lora.rank, scale: lora.scale, u },
      importance,
    });
    delta?.dispose();
    return { out, saved: { u } };
  }

  private adapter(module: AdapterModule, y: Tensor, rows: number, options: ForwardOptions, batch: DeviceBatch, alloc: (shape: number[]) => Tensor): { out: Tensor; saved: AdapterSaved } {
    const H = this.config.hidden;
    const m = module.w.size;
    const saved: AdapterSaved = { pre: alloc([rows, m]), hidden: alloc([rows, m]), delta: alloc([rows, H]) };
    const out = alloc([rows, H]);
    adapterForward(this.ctx, { w: module.w, y, out, saved, rows, features: H });
    if (options.importanceBeta !== undefined) {
      importanceRatio(this.ctx, { delta: saved.delta, base: y, tokenMask: batch.tokenMask, tokens: rows, features: H, out: module.importance, beta: options.importanceBeta });
    }
    return { out, saved };
  }

  /**
   * An evaluation-mode layer that keeps only its output: its activations and its input (when this
   * forward allocated it) are disposed at once. Later dispatches may reuse their buffers: the
   * queue runs dispatches in order, so the reads here come first.
   */
  private layerForwardFreeing(
    layer: Layer,
    input: Tensor,
    batch: DeviceBatch,
    options: ForwardOptions,
    dropoutP: { hidden: number; attention: number },
    seed: () => number,
    owned: Tensor[],
  ): Tensor {
    const temporaries: Tensor[] = [];
    const s = this.layerForward(layer, input, batch, options, dropoutP, seed, (shape) => {
      const t = this.ctx.empty(shape);
      temporaries.push(t);
      return t;
    });
    const output = s.ffn.output;
    for (const t of temporaries) if (t !== output) t.dispose();
    const inputIndex = owned.indexOf(input);
    if (inputIndex >= 0) owned.splice(inputIndex, 1)[0].dispose();
    owned.push(output);
    return output;
  }

  private layerForward(
    layer: Layer,
    input: Tensor,
    batch: DeviceBatch,
    options: ForwardOptions,
    dropoutP: { hidden: number; attention: number },
    seed: () => number,
    alloc: (shape: number[]) => Tensor,
  ): LayerSaved {
    const { ctx, config } = this;
    const N = batch.batch * batch.seqLen;
    const seeds: LayerSeeds = { attention: seed(), attentionOutput: seed(), output: seed() };
    const q = this.linear(layer.query, input, N, options, batch, alloc);
    const k = this.linear(layer.key, input, N, options, batch, alloc);
    const v = this.linear(layer.value, input, N, options, batch, alloc);
    const shape = { batch: batch.batch, seqLen: batch.seqLen, heads: layer.heads, headDim: config.headDim };
    const probs = alloc([batch.batch * layer.heads * batch.seqLen * batch.seqLen]);
    const context = alloc([N, layer.heads * config.headDim]);
    attentionForward(ctx, {
      ...shape,
      q: q.out,
      k: k.out,
      v: v.out,
      attnMask: batch.tokenMask,
      headMask: layer.headMask,
      probs,
      out: context,
      dropout: dropoutP.attention > 0 ? { p: dropoutP.attention, seed: seeds.attention } : undefined,
    });
    const attnOut = this.linear(layer.attentionOutput, context, N, options, batch, alloc);
    const attention = this.sublayerOutput(attnOut.out, input, layer.attentionAdapter, layer.attentionNorm, seeds.attentionOutput, dropoutP.hidden, batch, options, alloc);

    const inter = this.linear(layer.intermediateDense, attention.output, N, options, batch, alloc);
    const I = layer.intermediate;
    const gelu = alloc([N, I]);
    activationForward(ctx, { act: 'gelu', x: inter.out, out: gelu, n: N * I });
    let masked = gelu;
    if (this.masksActive) {
      masked = alloc([N, I]);
      scaleColumnsForward(ctx, { x: gelu, scale: layer.ffnMask, out: masked, rows: N, cols: I });
    }
    const out = this.linear(layer.outputDense, masked, N, options, batch, alloc);
    const ffn = this.sublayerOutput(out.out, attention.output, layer.outputAdapter, layer.outputNorm, seeds.output, dropoutP.hidden, batch, options, alloc);
    return {
      input,
      q: q.out,
      k: k.out,
      v: v.out,
      qSaved: q.saved,
      kSaved: k.saved,
      vSaved: v.saved,
      probs,
      context,
      attnOutSaved: attnOut.saved,
      attention,
      interSaved: inter.saved,
      preGelu: inter.out,
      gelu,
      masked,
      outSaved: out.saved,
      ffn,
      seeds,
    };
  }

  /** dense → dropout → adapter → LayerNorm(· + residualInput). */
  private sublayerOutput(
    dense: Tensor,
    residualInput: Tensor,
    adapter: AdapterModule | undefined,
    norm: LayerNormParams,
    seed: number,
    dropoutP: number,
    batch: DeviceBatch,
    options: ForwardOptions,
    alloc: (shape: number[]) => Tensor,
  ): SublayerOutputSaved {
    const { ctx, config } = this;
    const N = batch.batch * batch.seqLen;
    const H = config.hidden;
    const dropped = this.dropout(dense, N * H, dropoutP, seed, alloc);
    let branch = dropped;
    let adapterSaved: AdapterSaved | undefined;
    if (adapter) {
      const r = this.adapter(adapter, dropped, N, options, batch, alloc);
      adapterSaved = r.saved;
      branch = r.out;
    }
    const residual = alloc([N, H]);
    add(ctx, { a: branch, b: residualInput, out: residual, n: N * H });
    const saved = { dense: dropped, adapter: adapterSaved, residual, mean: alloc([N]), rstd: alloc([N]), output: alloc([N, H]) };
    layerNormForward(ctx, { x: residual, ...norm, out: saved.output, mean: saved.mean, rstd: saved.rstd, rows: N, cols: H, eps: config.layerNormEps });
    return saved;
  }

  /**
   * Backward of sublayerOutput: writes d(residual input) into `dResidualInput` and returns the
   * gradient of the dense result (a temp, or `dResidualInput` itself when there is no adapter or dropout).
   */
  private sublayerOutputBackward(
    s: SublayerOutputSaved,
    dOutput: Tensor,
    dResidualInput: Tensor,
    adapter: AdapterModule | undefined,
    norm: LayerNormParams,
    seed: number,
    dropoutP: number,
    batch: DeviceBatch,
    temp: (shape: number[]) => Tensor,
  ): Tensor {
    const N = batch.batch * batch.seqLen;
    const H = this.config.hidden;
    layerNormBackward(this.ctx, { dy: dOutput, x: s.residual, gamma: norm.gamma, mean: s.mean, rstd: s.rstd, dx: dResidualInput, rows: N, cols: H });
    let dDense = dResidualInput;
    if (adapter && s.adapter) dDense = this.adapterBackward(adapter, s.dense, s.adapter, dResidualInput, N, batch, temp);
    return this.dropoutBackward(dDense, N * H, dropoutP, seed, temp);
  }

  /** Backward through one layer; consumes dOutput and returns the input's gradient (null when not needed). */
  private layerBackward(
    layer: Layer,
    s: LayerSaved,
    dOutput: Tensor,
    batch: DeviceBatch,
    dropoutP: { hidden: number; attention: number },
    needInputGrad: boolean,
  ): Tensor | null {
    const { ctx, config } = this;
    const N = batch.batch * batch.seqLen;
    const H = config.hidden;
    const I = layer.intermediate;
    const temps: Tensor[] = [];
    const temp = (shape: number[]) => {
      const t = ctx.empty(shape);
      temps.push(t);
      return t;
    };

    // output.LayerNorm; dHidden1 starts as the residual branch of its gradient.
    const dHidden1 = ctx.empty([N, H]);
    const dOutDense = this.sublayerOutputBackward(s.ffn, dOutput, dHidden1, layer.outputAdapter, layer.outputNorm, s.seeds.output, dropoutP.hidden, batch, temp);
    dOutput.dispose();

    // output.dense → ffn mask → GELU → intermediate.dense
    const dMasked = temp([N, I]);
    this.linearBackward(layer.outputDense, s.outSaved, dOutDense, s.masked, dMasked, false, N, temp);
    let dGelu = dMasked;
    if (this.masksActive) {
      dGelu = temp([N, I]);
      const dMaskScratch = this.trainMasks ? layer.dFfnMask : temp([I]);
      scaleColumnsBackward(ctx, { x: s.gelu, scale: layer.ffnMask, dy: dMasked, dx: dGelu, dScale: dMaskScratch, rows: N, cols: I });
    }
    const dPre = temp([N, I]);
    activationBackward(ctx, { act: 'gelu', saved: s.preGelu, dy: dGelu, dx: dPre, n: N * I });
    this.linearBackward(layer.intermediateDense, s.interSaved, dPre, s.attention.output, dHidden1, true, N, temp);

    // attention.output.LayerNorm; dInput starts as the residual branch.
    const dInput = ctx.empty([N, H]);
    const dAttnDense = this.sublayerOutputBackward(s.attention, dHidden1, dInput, layer.attentionAdapter, layer.attentionNorm, s.seeds.attentionOutput, dropoutP.hidden, batch, temp);
    const width = layer.heads * config.headDim;
    const dContext = temp([N, width]);
    this.linearBackward(layer.attentionOutput, s.attnOutSaved, dAttnDense, s.context, dContext, false, N, temp);

    const dQ = temp([N, width]);
    const dK = temp([N, width]);
    const dV = temp([N, width]);
    attentionBackward(ctx, {
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
      dropout: dropoutP.attention > 0 ? { p: dropoutP.attention, seed: s.seeds.attention } : undefined,
    });
    const dx = needInputGrad ? dInput : undefined;
    this.linearBackward(layer.query, s.qSaved, dQ, s.input, dx, true, N, temp);
    this.linearBackward(layer.key, s.kSaved, dK, s.input, dx, true, N, temp);
    this.linearBackward(layer.value, s.vSaved, dV, s.input, dx, true, N, temp);
    dHidden1.dispose();
    for (const t of temps) t.dispose();
    if (!needInputGrad) {
      dInput.dispose();
      return null;
    }
    return dInput;
  }

  private linearBackward(lin: Linear, saved: LinearSaved, dy: Tensor, x: Tensor, dx: Tensor | undefined, accumulateDx: boolean, rows: number, temp: (shape: number[]) => Tensor): void {
    const lora = lin.lora;
    linearBackward(this.ctx, {
      rows,
      inFeatures: lin.inFeatures,
      outFeatures: lin.outFeatures,
      dy,
      x,
      weight: lin.weight,
      dx,
      accumulateDx,
      lora: lora && saved.u ? { A: lora.A, B: lora.B, rank: lora.rank, scale: lora.scale, u: saved.u, du: temp([rows, lora.rank]), dA: lora.dA, dB: lora.dB } : undefined,
    });
  }

  private adapterBackward(module: AdapterModule, y: Tensor, saved: AdapterSaved, dOut: Tensor, rows: number, batch: DeviceBatch, temp: (shape: number[]) => Tensor): Tensor {
    const H = this.config.hidden;
    const dy = temp([rows, H]);
    adapterBackward(this.ctx, {
      w: module.w,
      grads: module.grads,
      y,
      saved,
      dOut,
      dy,
      dHidden: temp([rows, module.w.size]),
      dPre: temp([rows, module.w.size]),
      ones: batch.ones,
      rows,
      features: H,
    });
    return dy;
  }

  private dropoutBackward(dy: Tensor, n: number, p: number, seed: number, temp: (shape: number[]) => Tensor): Tensor {
    if (p === 0) return dy;
    const dx = temp([n]);
    dropoutBackward(this.ctx, { dy, dx, n, p, seed });
    return dx;
  }
}

const adapterTensorSuffix = { downWeight: 'down.weight', downBias: 'down.bias', upWeight: 'up.weight', upBias: 'up.bias' } as const;
export { adapterTensorSuffix };

/** Distinct dropout seeds for each site of a step, derived from the step's seed. */
function seedStream(stepSeed: number): () => number {
  let site = 0;
  return () => (Math.imul(stepSeed >>> 0, 0x9e3779b1) + Math.imul(++site, 0x85ebca6b)) >>> 0;
}
