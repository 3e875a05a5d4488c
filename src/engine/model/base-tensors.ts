/**
 * Every tensor of the base model (HF names, without the classifier) that a config.json implies,
 * with its shape: what buildModel uploads, and what it checks against the checkpoint's headers
 * before uploading anything.
 */
import type { ModelConfig } from './config';
import { LORA_TARGETS, linearModuleName, type LoraTarget } from './peft';

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
  const norm = (prefix: string) => shapes.set(`${prefix}.weight`, [H]).set(`${prefix}.bias`, [H]);
  shapes.set('roberta.embeddings.word_embeddings.weight', [config.vocabSize, H]);
  shapes.set('roberta.embeddings.position_embeddings.weight', [config.maxPositions, H]);
  shapes.set('roberta.embeddings.token_type_embeddings.weight', [config.typeVocabSize, H]);
  norm('roberta.embeddings.LayerNorm');
  for (let i = 0; i < config.layers; i++) {
    for (const target of LORA_TARGETS) {
      const module = linearModuleName(i, target);
      const [inFeatures, outFeatures] = linearFeatures(config, i, target);
      shapes.set(`${module}.weight`, [outFeatures, inFeatures]).set(`${module}.bias`, [outFeatures]);
    }
    norm(`roberta.encoder.layer.${i}.attention.output.LayerNorm`);
    norm(`roberta.encoder.layer.${i}.output.LayerNorm`);
  }
  return shapes;
}
