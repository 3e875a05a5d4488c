/**
 * Builds a RobertaModel on the GPU from config.json + model weights, a PEFT configuration
 * (fresh PEFT-style init, or loaded from an HF PEFT directory's tensors) and optional masks.
 */
import type { GpuContext } from '../../gpu/context';
import type { Tensor } from '../../gpu/buffers';
import { BadInputError } from '../../errors';
import type { ModelConfig } from './config';
import { WeightSource } from './weights';
import { baseTensorShapes, linearFeatures } from './base-tensors';
import { RobertaModel } from './roberta';
import { seededRandom, type SeededRandom } from '../random';
import type { AdapterModule, Classifier, Embeddings, Layer, LayerNormParams, Linear, LoraModule } from './params';
import { patternValue, type PeftConfig } from './peft';
import {
  ADAPTER_SITES,
  adapterModuleName,
  adapterTensorName,
  biasName,
  CLASSIFIER_TENSORS,
  EMBEDDING_NORM,
  EMBEDDING_TENSORS,
  ffnMaskName,
  headMaskName,
  layerNormName,
  linearModuleName,
  loraTensorName,
  peftModelName,
  weightName,
  type AdapterSite,
  type LoraTarget,
} from './names';
import { peftDropoutSite } from './layers/dropout-layer';

export interface BuildOptions {
  config: ModelConfig;
  weights: WeightSource;
  peft: PeftConfig;
  /** Initial PEFT tensors (HF PEFT names for LoRA); fresh init when absent. */
  peftInit?: WeightSource;
  /** Initial head/ffn masks; all ones when absent. */
  masks?: WeightSource;
  trainMasks: boolean;
  /** Seed for fresh LoRA/adapter/classifier initialisation. */
  seed?: number;
}

export function buildModel(ctx: GpuContext, options: BuildOptions): Promise<RobertaModel> {
  return ctx.allOrNothing(() => build(ctx, options));
}

async function build(ctx: GpuContext, options: BuildOptions): Promise<RobertaModel> {
  const { config, weights } = options;
  // Separate streams, so the fresh head is the same whichever PEFT method a run uses.
  const seed = options.seed ?? 0;
  const peftRandom = seededRandom(2 * seed + 1);
  const headRandom = seededRandom(2 * seed);
  const H = config.hidden;
  // Every base tensor is checked against the headers first: a wrong checkpoint fails before a byte is uploaded.
  const shapes = baseTensorShapes(config);
  weights.checkAll(shapes);
  const upload = (name: string) => weights.upload(ctx, name, shapes.get(name)!);
  const norm = async (module: string): Promise<LayerNormParams> => ({ gamma: await upload(weightName(module)), beta: await upload(biasName(module)) });
  checkDropout(options.peft);

  const embeddings: Embeddings = {
    word: await weights.hostTable(EMBEDDING_TENSORS.word, [config.vocabSize, H]),
    position: await upload(EMBEDDING_TENSORS.position),
    tokenType: await upload(EMBEDDING_TENSORS.tokenType),
    norm: await norm(EMBEDDING_NORM),
  };

  const layers: Layer[] = [];
  for (let i = 0; i < config.layers; i++) {
    const linear = async (target: LoraTarget): Promise<Linear> => {
      const module = linearModuleName(i, target);
      const [inFeatures, outFeatures] = linearFeatures(config, i, target);
      const weight = await upload(weightName(module));
      const lin: Linear = { module, weight, bias: await upload(biasName(module)), inFeatures, outFeatures };
      const peft = options.peft;
      if (peft.kind === 'lora' && peft.targets.includes(target) && (!peft.modules || peft.modules.includes(module))) {
        const rank = patternValue(peft.rankPattern, module, peft.rank);
        const alpha = patternValue(peft.alphaPattern, module, peft.alpha);
        const dropout = { p: peft.dropout ?? 0, site: peftDropoutSite(i, target) };
        lin.lora = await makeLora(ctx, module, inFeatures, outFeatures, rank, alpha, dropout, options.peftInit, peftRandom);
      }
      return lin;
    };
    // A pruned checkpoint has fewer heads or FFN dims in some layers (config.json says which).
    const heads = config.layerHeads?.[i] ?? config.heads;
    const intermediate = config.layerIntermediate?.[i] ?? config.intermediate;
    const layer: Layer = {
      index: i,
      heads,
      intermediate,
      query: await linear('query'),
      key: await linear('key'),
      value: await linear('value'),
      attentionOutput: await linear('attention.output.dense'),
      intermediateDense: await linear('intermediate.dense'),
      outputDense: await linear('output.dense'),
      attentionNorm: await norm(layerNormName(i, 'attention.output')),
      outputNorm: await norm(layerNormName(i, 'output')),
      headMask: await initMask(ctx, options.masks, headMaskName(i), heads),
      ffnMask: await initMask(ctx, options.masks, ffnMaskName(i), intermediate),
      dHeadMask: ctx.zeros([heads]),
      dFfnMask: ctx.zeros([intermediate]),
    };
    const peft = options.peft;
    if (peft.kind === 'adapter') {
      const adapter = async (site: AdapterSite) => {
        const name = adapterModuleName(i, site);
        const size = peft.modules ? peft.modules[name] : peft.size;
        const dropout = { p: peft.dropout ?? 0, site: peftDropoutSite(i, site) };
        return size ? makeAdapter(ctx, name, H, size, peft.activation, dropout, options.peftInit, peftRandom) : undefined;
      };
      const [attentionSite, outputSite] = ADAPTER_SITES;
      layer.attentionAdapter = await adapter(attentionSite);
      layer.outputAdapter = await adapter(outputSite);
    }
    layers.push(layer);
  }

  const classifier = await makeClassifier(ctx, config, weights, options.peftInit, headRandom);
  // FFN masks that start at one and never train are the identity: skip them.
  return new RobertaModel(ctx, config, embeddings, layers, classifier, options.trainMasks, options.trainMasks || options.masks !== undefined);
}

async function makeLora(
  ctx: GpuContext,
  module: string,
  inFeatures: number,
  outFeatures: number,
  rank: number,
  alpha: number,
  dropout: { p: number; site: number },
  init: WeightSource | undefined,
  random: SeededRandom,
): Promise<LoraModule> {
  const nameA = loraTensorName(module, 'A');
  const nameB = loraTensorName(module, 'B');
  let A: Tensor;
  let B: Tensor;
  if (init) {
    A = await init.upload(ctx, nameA, [rank, inFeatures]);
    B = await init.upload(ctx, nameB, [outFeatures, rank]);
  } else {
    // PEFT's default: A ~ kaiming_uniform(a=√5) = U(-1/√in, 1/√in), B = 0 (so training starts at the base model).
    const bound = 1 / Math.sqrt(inFeatures);
    A = ctx.fromArray(Float32Array.from({ length: rank * inFeatures }, () => (random.uniform() * 2 - 1) * bound), [rank, inFeatures], nameA);
    B = ctx.zeros([outFeatures, rank], 'f32', nameB);
  }
  return {
    kind: 'lora',
    module,
    A,
    B,
    dA: ctx.zeros([rank, inFeatures]),
    dB: ctx.zeros([outFeatures, rank]),
    rank,
    scale: alpha / rank,
    dropout: dropout.p,
    dropoutSite: dropout.site,
    importance: ctx.zeros([1]),
    rankScore: ctx.zeros([rank]),
  };
}

async function makeAdapter(
  ctx: GpuContext,
  module: string,
  hidden: number,
  size: number,
  activation: 'relu' | 'gelu',
  dropout: { p: number; site: number },
  init: WeightSource | undefined,
  random: SeededRandom,
): Promise<AdapterModule> {
  const shapes = { down: [size, hidden], up: [hidden, size] };
  const tensor = async (projection: 'down' | 'up'): Promise<Tensor> => {
    const shape = shapes[projection];
    if (init) return init.upload(ctx, adapterTensorName(module, projection), shape);
    // The paper's code initialises both projections as BERT does its linears: N(0, 0.02²).
    return ctx.fromArray(Float32Array.from({ length: size * hidden }, () => random.normal() * 0.02), shape);
  };
  return {
    kind: 'adapter',
    module,
    w: { downWeight: await tensor('down'), upWeight: await tensor('up'), size, activation },
    grads: { downWeight: ctx.zeros(shapes.down), upWeight: ctx.zeros(shapes.up) },
    dropout: dropout.p,
    dropoutSite: dropout.site,
    importance: ctx.zeros([1]),
    rankScore: ctx.zeros([size]),
  };
}

/** A dropout probability from a PEFT configuration must be in [0, 1). */
function checkDropout(peft: PeftConfig): void {
  const p = peft.dropout ?? 0;
  if (!(p >= 0 && p < 1)) throw new RangeError(`${peft.kind === 'lora' ? 'LoRA' : 'adapter'} dropout must be at least 0 and below 1, got ${p}`);
}

/** The classification head from the checkpoint (or a PEFT dir's modules_to_save), else a fresh one. */
async function makeClassifier(ctx: GpuContext, config: ModelConfig, weights: WeightSource, peftInit: WeightSource | undefined, random: SeededRandom): Promise<Classifier> {
  const H = config.hidden;
  const C = config.numLabels;
  const shapes = { denseWeight: [H, H], denseBias: [H], outWeight: [C, H], outBias: [C] };
  const names = CLASSIFIER_TENSORS;
  const keys = Object.keys(shapes) as Array<keyof typeof shapes>;
  const fromPeft = peftInit && keys.every((k) => peftInit.has(peftModelName(names[k])));
  const fromBase = keys.every((k) => weights.has(names[k]));
  if (!fromPeft && !fromBase && keys.some((k) => weights.has(names[k]))) {
    throw new BadInputError(weights.fileNames, 'classifier', 'has some classifier.* tensors but not all four (dense.weight/bias, out_proj.weight/bias)');
  }
  const make = async (k: keyof typeof shapes): Promise<Tensor> => {
    if (fromPeft) return peftInit.upload(ctx, peftModelName(names[k]), shapes[k]);
    if (fromBase) return weights.upload(ctx, names[k], shapes[k]);
    // A fresh head, as HF initialises it: N(0, 0.02²) weights, zero biases.
    const n = shapes[k].reduce((a, b) => a * b, 1);
    return k.endsWith('Weight') ? ctx.fromArray(Float32Array.from({ length: n }, () => random.normal() * 0.02), shapes[k]) : ctx.zeros(shapes[k]);
  };
  const w = { denseWeight: await make('denseWeight'), denseBias: await make('denseBias'), outWeight: await make('outWeight'), outBias: await make('outBias') };
  const grads = { denseWeight: ctx.zeros([H, H]), denseBias: ctx.zeros([H]), outWeight: ctx.zeros([C, H]), outBias: ctx.zeros([C]) };
  return { w, grads };
}

async function initMask(ctx: GpuContext, masks: WeightSource | undefined, name: string, n: number): Promise<Tensor> {
  if (masks?.has(name)) return masks.upload(ctx, name, [n]);
  return ctx.fromArray(new Float32Array(n).fill(1), [n], name);
}
