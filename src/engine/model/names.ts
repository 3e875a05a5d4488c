/**
 * Every tensor and module name the app reads or writes, in one place. The base model uses HF
 * Transformers' RobertaForSequenceClassification names, LoRA HF PEFT's, so files move between this
 * app and Python unchanged; adapters, Light-PEFT masks, scores and checkpoint state use our own.
 */

import { LORA_TARGETS, type LoraTarget } from '../../shared/peft-targets';

/** Prefix of the base model's tensors (a bare RobertaModel checkpoint stores them without it). */

export const BASE_MODEL_PREFIX = 'roberta.';

const EMBEDDINGS = `${BASE_MODEL_PREFIX}embeddings`;

export const EMBEDDING_TENSORS = {
  word: `${EMBEDDINGS}.word_embeddings.weight`,
  position: `${EMBEDDINGS}.position_embeddings.weight`,
  tokenType: `${EMBEDDINGS}.token_type_embeddings.weight`,
} as const;

/** Module path of the embeddings' LayerNorm. */
export const EMBEDDING_NORM = `${EMBEDDINGS}.LayerNorm`;

/** Prefix of every module of the embeddings. */
export const EMBEDDINGS_PREFIX = `${EMBEDDINGS}.`;

/** `roberta.encoder.layer.3.` */
export const layerPrefix = (layer: number): string => `${BASE_MODEL_PREFIX}encoder.layer.${layer}.`;

const LAYER_MODULE = /^roberta\.encoder\.layer\.(\d+)\.(.+)$/;

/** The layer index and in-layer path of a module name, or null for a module outside the encoder. */
export function parseLayerModule(module: string): { layer: number; path: string } | null {
  const match = LAYER_MODULE.exec(module);
  return match ? { layer: Number(match[1]), path: match[2] } : null;
}

export const weightName = (module: string): string => `${module}.weight`;
export const biasName = (module: string): string => `${module}.bias`;

export { LORA_TARGETS, type LoraTarget };

/** Module path of a target inside a layer (`attention.self.query`, …, `output.dense`). `output.dense` is the FFN output only. */
export function targetPath(target: LoraTarget): string {
  switch (target) {
    case 'query':
    case 'key':
    case 'value':
      return `attention.self.${target}`;
    default:
      return target;
  }
}

/** HF module path of a target in layer i. */
export const linearModuleName = (layer: number, target: LoraTarget): string => layerPrefix(layer) + targetPath(target);

/** Which of the six linears a module path is (`roberta.encoder.layer.3.attention.self.query` → query), or null. */
export function targetOfModule(module: string): LoraTarget | null {
  const path = parseLayerModule(module)?.path;
  return LORA_TARGETS.find((t) => targetPath(t) === path) ?? null;
}

/** The two LayerNorms of a layer, after the attention and after the FFN. */
export type LayerNormSite = 'attention.output' | 'output';
export const layerNormName = (layer: number, site: LayerNormSite): string => `${layerPrefix(layer)}${site}.LayerNorm`;

/** Where bottleneck adapters sit: after the attention output's dense, after the FFN output's dense. */
export const ADAPTER_SITES = ['attention.output.adapter', 'output.adapter'] as const;
export type AdapterSite = (typeof ADAPTER_SITES)[number];

export const adapterModuleName = (layer: number, site: AdapterSite): string => layerPrefix(layer) + site;

/** An adapter's projections: `down` [size, hidden], `up` [hidden, size]; no biases. */
export type AdapterProjection = 'down' | 'up';
export const adapterTensorName = (module: string, projection: AdapterProjection): string => `${module}.${projection}.weight`;

const ADAPTER_DOWN = /^(roberta\.encoder\.layer\.\d+\.(?:attention\.output|output)\.adapter)\.down\.weight$/;

/** The adapter module whose down-projection a tensor name is, or null. */
export const adapterModuleOfDownTensor = (name: string): string | null => ADAPTER_DOWN.exec(name)?.[1] ?? null;

/** HF PEFT stores the wrapped model's tensors under this prefix. */
export const peftModelName = (name: string): string => `base_model.model.${name}`;

export const loraTensorName = (module: string, factor: 'A' | 'B'): string => peftModelName(`${module}.lora_${factor}.weight`);

const LORA_A = /^base_model\.model\.(.+)\.lora_A\.weight$/;

/** The module whose lora_A a tensor name is, or null. */
export const loraModuleOfTensor = (name: string): string | null => LORA_A.exec(name)?.[1] ?? null;

/** The classification head (RobertaClassificationHead). */
export const CLASSIFIER_TENSORS = {
  denseWeight: 'classifier.dense.weight',
  denseBias: 'classifier.dense.bias',
  outWeight: 'classifier.out_proj.weight',
  outBias: 'classifier.out_proj.bias',
} as const;

/** HF PEFT's `modules_to_save` entry for the head. */
export const CLASSIFIER_MODULE = 'classifier';

/** Light-PEFT's masks: one value per attention head, one per FFN dimension. */
export const headMaskName = (layer: number): string => `${layerPrefix(layer)}attention.self.head_mask`;
export const ffnMaskName = (layer: number): string => `${layerPrefix(layer)}intermediate.ffn_mask`;

/** Light-PEFT's scores of a PEFT module: its Importance Ratio [1] and its Taylor rank scores [r]. */
export const moduleScoreName = (module: string): string => `score.module.${module}`;
export const rankScoreName = (module: string): string => `score.rank.${module}`;

/** A training checkpoint: each trainable tensor, its AdamW moments, and the step count. */
export const stateParamName = (name: string): string => `param.${name}`;
export const adamMomentName = (moment: 'm' | 'v', name: string): string => `adam.${moment}.${name}`;
export const ADAM_STEP = 'adam.step';
