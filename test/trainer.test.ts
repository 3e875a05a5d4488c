/**
 * The training loop learns: a small random RoBERTa with LoRA and a fresh head learns a synthetic
 * task (does the sentence mention a fruit?) from 200 examples well above the majority rate.
 */
import { describe, expect, it } from 'vitest';
import { gpuContext } from './helpers';
import { parseModelConfig } from '../src/engine/model/config';
import { buildModel } from '../src/engine/model/build';
import { makeFruitExamples, randomWeights, tinyTokenizer } from './synthetic';
import { evaluate, train, type TrainSettings } from '../src/engine/train/trainer';

describe('trainer', () => {
  it('learns a synthetic task well above the majority rate, with metrics', async () => {
    const ctx = await gpuContext();
    const tokenizer = tinyTokenizer();
    const config = parseModelConfig({
      model_type: 'roberta', vocab_size: tokenizer.vocabSize, hidden_size: 32, num_hidden_layers: 2, num_attention_heads: 4,
      intermediate_size: 64, max_position_embeddings: 40, id2label: { 0: 'no fruit', 1: 'fruit' },
    });
    const model = await buildModel(ctx, { config, weights: randomWeights(config), peft: { kind: 'lora', rank: 4, alpha: 8, targets: ['query', 'value', 'intermediate.dense'] }, trainMasks: false, seed: 1 });
    const trainSet = makeFruitExamples(200, 1);
    const validation = makeFruitExamples(100, 2);
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
