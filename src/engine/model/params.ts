/** The model's parameter structures: frozen base, PEFT modules, Light-PEFT masks, classifier head. */
import type { Tensor } from '../../gpu/buffers';
import type { HostTable } from './host-table';
import type { AdapterGrads, AdapterWeights } from './layers/adapter';
import type { ClassifierWeights } from './layers/classifier';

export interface LoraModule {
  kind: 'lora';
  module: string; // e.g. roberta.encoder.layer.0.attention.self.query
  A: Tensor; // [r, in]
  B: Tensor; // [out, r]
  dA: Tensor;
  dB: Tensor;
  rank: number;
  scale: number;
  /** Dropout probability on the LoRA path's input, in training mode. */
  dropout: number;
  /** This module's dropout seed site (dropout-seeds.ts), fixed by its layer and place. */
  dropoutSite: number;
  importance: Tensor; // [1] Importance Ratio (sum over the batches it was accumulated on)
  rankScore: Tensor; // [r] Taylor score (sum over steps)
}

export interface AdapterModule {
  kind: 'adapter';
  module: string; // e.g. roberta.encoder.layer.0.output.adapter
  w: AdapterWeights;
  grads: AdapterGrads;
  /** Dropout probability on the adapter's input, in training mode. */
  dropout: number;
  /** This module's dropout seed site (dropout-seeds.ts), fixed by its layer and place. */
  dropoutSite: number;
  importance: Tensor;
  rankScore: Tensor; // [m], one per bottleneck unit
}

export type PeftModule = LoraModule | AdapterModule;

export interface Linear {
  module: string;
  weight: Tensor; // [out, in], frozen
  bias: Tensor; // [out], frozen
  inFeatures: number;
  outFeatures: number;
  lora?: LoraModule;
}

export interface LayerNormParams {
  gamma: Tensor;
  beta: Tensor;
}

export interface Layer {
  index: number;
  /** Kept attention heads and FFN width: equal to the config until Light-PEFT prunes them. */
  heads: number;
  intermediate: number;
  query: Linear;
  key: Linear;
  value: Linear;
  attentionOutput: Linear;
  intermediateDense: Linear;
  outputDense: Linear;
  attentionNorm: LayerNormParams;
  outputNorm: LayerNormParams;
  attentionAdapter?: AdapterModule;
  outputAdapter?: AdapterModule;
  headMask: Tensor; // [heads]
  ffnMask: Tensor; // [intermediate]
  dHeadMask: Tensor;
  dFfnMask: Tensor;
}

export interface Embeddings {
  /** [V, H], in host memory: a batch uploads only its tokens' rows (host-table.ts). */
  word: HostTable;
  position: Tensor; // [P, H]
  tokenType: Tensor; // [types, H]
  norm: LayerNormParams;
}

export type ParamGroupName = 'peft' | 'mask' | 'head';

/** A trainable tensor with its gradient, under its export name (HF / HF PEFT). */
export interface TrainableParam {
  name: string;
  tensor: Tensor;
  grad: Tensor;
  group: ParamGroupName;
}

export interface Classifier {
  w: ClassifierWeights;
  grads: ClassifierWeights;
}

export function linearsOf(layer: Layer): Linear[] {
  return [layer.query, layer.key, layer.value, layer.attentionOutput, layer.intermediateDense, layer.outputDense];
}

export function peftModulesOf(layer: Layer): PeftModule[] {
  const modules: PeftModule[] = [];
  for (const linear of linearsOf(layer)) if (linear.lora) modules.push(linear.lora);
  if (layer.attentionAdapter) modules.push(layer.attentionAdapter);
  if (layer.outputAdapter) modules.push(layer.outputAdapter);
  return modules;
}
