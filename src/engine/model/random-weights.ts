/**
 * A random RoBERTa checkpoint (HF names, no classifier head) for a config: what tests and
 * benchmarks load when no pre-trained weights are at hand. Scaled so activations stay O(1).
 */
import { WeightSource } from './weights';
import { writeSafetensors } from '../io/safetensors';
import { seededRandom } from '../random';
import type { ModelConfig } from './config';

/** Random RoBERTa weights for a config (HF names), as a pre-trained checkpoint would provide. */
export function randomWeightTensors(config: ModelConfig, seed = 7): Array<[string, { data: Float32Array; shape: number[] }]> {
  const random = seededRandom(seed);
  const H = config.hidden;
  const I = config.intermediate;
  const tensors: Array<[string, { data: Float32Array; shape: number[] }]> = [];
  const add = (name: string, shape: number[], scale: number, offset = 0) =>
    tensors.push([name, { data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => offset + random.normal() * scale), shape }]);
  add('roberta.embeddings.word_embeddings.weight', [config.vocabSize, H], 0.5);
  add('roberta.embeddings.position_embeddings.weight', [config.maxPositions, H], 0.1);
  add('roberta.embeddings.token_type_embeddings.weight', [1, H], 0.1);
  add('roberta.embeddings.LayerNorm.weight', [H], 0, 1);
  add('roberta.embeddings.LayerNorm.bias', [H], 0);
  for (let i = 0; i < config.layers; i++) {
    const p = `roberta.encoder.layer.${i}.`;
    for (const m of ['attention.self.query', 'attention.self.key', 'attention.self.value', 'attention.output.dense']) {
      add(`${p}${m}.weight`, [H, H], 1 / Math.sqrt(H));
      add(`${p}${m}.bias`, [H], 0);
    }
    add(`${p}intermediate.dense.weight`, [I, H], 1 / Math.sqrt(H));
    add(`${p}intermediate.dense.bias`, [I], 0);
    add(`${p}output.dense.weight`, [H, I], 1 / Math.sqrt(I));
    add(`${p}output.dense.bias`, [H], 0);
    for (const ln of ['attention.output.LayerNorm', 'output.LayerNorm']) {
      add(`${p}${ln}.weight`, [H], 0, 1);
      add(`${p}${ln}.bias`, [H], 0);
    }
  }
  return tensors;
}

export function randomWeights(config: ModelConfig, seed = 7): WeightSource {
  return WeightSource.fromBytes([{ bytes: writeSafetensors(randomWeightTensors(config, seed)), file: 'random.safetensors' }]);
}

