/** Synthetic test material: random RoBERTa checkpoints and a small learnable text task. */
import { rng } from './helpers';
import { WeightSource } from '../src/engine/model/weights';
import { writeSafetensors } from '../src/engine/io/safetensors';
import { seededRandom } from '../src/engine/random';
import type { ModelConfig } from '../src/engine/model/config';
import type { Example } from '../src/engine/io/datasets';

const WORDS = 'the software license may copy modify distribute work program source code terms conditions any person without warranty'.split(' ');
const FRUIT = ['apple', 'banana', 'cherry'];

/** Sentences of license words; label 1 when a fruit is mentioned. */
export function makeFruitExamples(n: number, seed: number): Example[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => {
    const words = Array.from({ length: 6 + Math.floor(r() * 6) }, () => WORDS[Math.floor(r() * WORDS.length)]);
    const label = r() < 0.5 ? 1 : 0;
    if (label) words.splice(Math.floor(r() * words.length), 0, FRUIT[Math.floor(r() * FRUIT.length)]);
    return { text: words.join(' '), label };
  });
}

/** Random RoBERTa weights for a config (HF names), as a pre-trained checkpoint would provide. */
export function randomWeightTensors(config: ModelConfig): Array<[string, { data: Float32Array; shape: number[] }]> {
  const random = seededRandom(7);
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

export function randomWeights(config: ModelConfig): WeightSource {
  return WeightSource.fromBytes([{ bytes: writeSafetensors(randomWeightTensors(config)), file: 'random.safetensors' }]);
}

