/**
 * The training loop learns: a small random RoBERTa with LoRA and a fresh head learns a synthetic
 * task (does the sentence mention a fruit?) from 200 examples well above the majority rate.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gpuContext, rng } from './helpers';
import { loadTokenizer } from '../src/engine/io/tokenizer';
import { parseModelConfig } from '../src/engine/model/config';
import { WeightSource } from '../src/engine/model/weights';
import { writeSafetensors } from '../src/engine/io/safetensors';
import { buildModel, seededRandom } from '../src/engine/model/build';
import { evaluate, train, type TrainSettings } from '../src/engine/train/trainer';
import type { Example } from '../src/engine/io/datasets';

const TOKENIZER = join(__dirname, 'fixtures', 'tokenizer-tiny');
const WORDS = 'the software license may copy modify distribute work program source code terms conditions any person without warranty'.split(' ');
const FRUIT = ['apple', 'banana', 'cherry'];

function makeExamples(n: number, seed: number): Example[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => {
    const words = Array.from({ length: 6 + Math.floor(r() * 6) }, () => WORDS[Math.floor(r() * WORDS.length)]);
    const label = r() < 0.5 ? 1 : 0;
    if (label) words.splice(Math.floor(r() * words.length), 0, FRUIT[Math.floor(r() * FRUIT.length)]);
    return { text: words.join(' '), label };
  });
}

/** Random RoBERTa weights for a config (HF names), as a pre-trained checkpoint would provide. */
function randomWeights(config: ReturnType<typeof parseModelConfig>): WeightSource {
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
  return WeightSource.fromBytes([{ bytes: writeSafetensors(tensors), file: 'random.safetensors' }]);
}

describe('trainer', () => {
  it('learns a synthetic task well above the majority rate, with metrics', async () => {
    const ctx = await gpuContext();
    const tokenizer = loadTokenizer({
      tokenizerJson: JSON.parse(readFileSync(join(TOKENIZER, 'tokenizer.json'), 'utf8')),
      tokenizerConfig: JSON.parse(readFileSync(join(TOKENIZER, 'tokenizer_config.json'), 'utf8')),
    });
    const config = parseModelConfig({
      model_type: 'roberta', vocab_size: tokenizer.vocabSize, hidden_size: 32, num_hidden_layers: 2, num_attention_heads: 4,
      intermediate_size: 64, max_position_embeddings: 40, id2label: { 0: 'no fruit', 1: 'fruit' },
    });
    const model = await buildModel(ctx, { config, weights: randomWeights(config), peft: { kind: 'lora', rank: 4, alpha: 8, targets: ['query', 'value', 'intermediate.dense'] }, trainMasks: false, seed: 1 });
    const trainSet = makeExamples(200, 1);
    const validation = makeExamples(100, 2);
    const majority = Math.max(...[0, 1].map((c) => validation.filter((e) => e.label === c).length)) / validation.length;
    const settings: TrainSettings = { steps: 120, batchSize: 16, maxLength: 24, seed: 0, lr: 5e-3, warmupRatio: 0.1, weightDecay: 0.01, maskLrMultiplier: 1, lambdaHead: 0, lambdaFfn: 0, dropout: false, logEvery: 20 };
    const { logs } = await train(model, tokenizer, trainSet, settings);
    expect(logs.map((l) => l.step)).toEqual([20, 40, 60, 80, 100, 120]);
    const metrics = await evaluate(model, tokenizer, validation, { batchSize: 32, maxLength: 24 });
    expect(metrics.count).toBe(100);
    expect(logs.at(-1)!.loss).toBeLessThan(logs[0].loss);
    expect(metrics.accuracy).toBeGreaterThan(majority + 0.2);
    expect(metrics.mcc).toBeGreaterThan(0.4);
  });
});
