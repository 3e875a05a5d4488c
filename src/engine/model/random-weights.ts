/**
 * A random RoBERTa checkpoint (HF names, no classifier head) for a config: what tests and
 * benchmarks load when no pre-trained weights are at hand. Scaled so activations stay O(1).
 */
import { WeightSource } from './weights';
import { writeSafetensors } from '../io/safetensors';
import { seededRandom } from '../random';
import type { ModelConfig } from './config';
import { baseTensorShapes } from './base-tensors';
import { EMBEDDING_TENSORS, EMBEDDINGS_PREFIX } from './names';

/** Random RoBERTa weights for a config (HF names), as a pre-trained checkpoint would provide. */
export function randomWeightTensors(config: ModelConfig, seed = 7): Array<[string, { data: Float32Array; shape: number[] }]> {
  const random = seededRandom(seed);
  return [...baseTensorShapes(config)].map(([name, shape]) => {
    const { scale, offset } = initOf(name, shape);
    return [name, { data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => offset + random.normal() * scale), shape }];
  });
}

/** Embeddings wide enough to tell tokens apart, linear weights at 1/sqrt(fan-in), LayerNorm at identity, biases at 0. */
function initOf(name: string, shape: number[]): { scale: number; offset: number } {
  if (name.endsWith('LayerNorm.weight')) return { scale: 0, offset: 1 };
  if (name.endsWith('.bias')) return { scale: 0, offset: 0 };
  if (name === EMBEDDING_TENSORS.word) return { scale: 0.5, offset: 0 };
  if (name.startsWith(EMBEDDINGS_PREFIX)) return { scale: 0.1, offset: 0 };
  return { scale: 1 / Math.sqrt(shape[1]), offset: 0 };
}

export function randomWeights(config: ModelConfig, seed = 7): WeightSource {
  return WeightSource.fromBytes([{ bytes: writeSafetensors(randomWeightTensors(config, seed)), file: 'random.safetensors' }]);
}

