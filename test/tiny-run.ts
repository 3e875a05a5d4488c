/** A tiny random RoBERTa, the fruit task and run settings, for tests of TrainingRun and LightPeftRun. */
import { parseModelConfig } from '../src/engine/model/config';
import { buildModel } from '../src/engine/model/build';
import type { GpuContext } from '../src/gpu/context';
import type { PeftConfig } from '../src/engine/model/peft';
import type { TrainSettings } from '../src/engine/train/trainer';
import { makeFruitExamples, randomWeights, tinyTokenizer } from './synthetic';

export const tokenizer = tinyTokenizer();

export const config = parseModelConfig({
  model_type: 'roberta', vocab_size: tokenizer.vocabSize, hidden_size: 16, num_hidden_layers: 2, num_attention_heads: 4,
  intermediate_size: 32, max_position_embeddings: 40, id2label: { 0: 'no fruit', 1: 'fruit' },
});

const weights = randomWeights(config);

export const ALL_SIX: PeftConfig = { kind: 'lora', rank: 4, alpha: 8, targets: ['query', 'key', 'value', 'attention.output.dense', 'intermediate.dense', 'output.dense'] };

/** The same model (weights and fresh PEFT init) on every call. */
export function tinyModel(ctx: GpuContext, peft: PeftConfig = ALL_SIX) {
  return buildModel(ctx, { config, weights, peft, trainMasks: false, seed: 5 });
}

export const data = { train: makeFruitExamples(48, 1), validation: makeFruitExamples(24, 2) };

/** No dropout (runs compare exactly), a loss point every step. */
export function settings(patch: Partial<TrainSettings> = {}): TrainSettings {
  return {
    steps: 6, batchSize: 8, maxLength: 20, seed: 3, lr: 0.01, warmupRatio: 0, weightDecay: 0, maskLrMultiplier: 1,
    lambdaHead: 0.01, lambdaFfn: 0.01, dropout: false, logEvery: 1, maxGradNorm: 1, ...patch,
  };
}
