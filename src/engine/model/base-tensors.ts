/**
 * Every tensor of the base model (HF names, without the classifier) that a config.json implies,
 * with its shape: what buildModel uploads, and what it checks against the checkpoint's headers
 * before uploading anything.
 */
import type { ModelConfig } from './config';
import { biasName, EMBEDDING_NORM, EMBEDDING_TENSORS, layerNormName, LORA_TARGETS, linearModuleName, weightName, type LoraTarget } from './names';

/** A linear layer's [in, out] features in layer `i` of a (possibly pruned) model. */
export function linearFeatures(config: ModelConfig, i: number, target: LoraTarget): [number, number] {
  const H = config.hidden;
  const attention = (config.layerHeads?.[i] ?? config.heads) * config.headDim;
  const intermediate = config.layerIntermediate?.[i] ?? config.intermediate;
  switch (target) {
    case 'query':
    case 'key':
    case 'value':
      return [H, attention];
    case 'attention.output.dense':
      return [attention, H];
    case 'intermediate.dense':
      return [H, intermediate];
    case 'output.dense':
      return [intermediate, H];
  }
}

export function baseTensorShapes(config: ModelConfig): Map<string, number[]> {
  const H = config.hidden;
  const shapes = new Map<string, number[]>();
  const norm = (module: string) => shapes.set(weightName(module), [H]).set(biasName(module), [H]);
  shapes.set(EMBEDDING_TENSORS.word, [config.vocabSize, H]);
  shapes.set(EMBEDDING_TENSORS.position, [config.maxPositions, H]);
  shapes.set(EMBEDDING_TENSORS.tokenType, [config.typeVocabSize, H]);
  norm(EMBEDDING_NORM);
  for (let i = 0; i < config.layers; i++) {
    for (const target of LORA_TARGETS) {
      const module = linearModuleName(i, target);
      const [inFeatures, outFeatures] = linearFeatures(config, i, target);
      shapes.set(weightName(module), [outFeatures, inFeatures]).set(biasName(module), [outFeatures]);
    }
    norm(layerNormName(i, 'attention.output'));
    norm(layerNormName(i, 'output'));
  }
  return shapes;
}
