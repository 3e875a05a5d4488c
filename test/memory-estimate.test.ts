/**
 * The estimate of a training run's peak GPU memory (src/shared/memory-estimate.ts) against the
 * engine's measured peak (bytes in use, from before the model is built to the end of a few
 * training steps), for LoRA, adapters and Light-PEFT's estimation at two batch shapes.
 */
import { describe, expect, it } from 'vitest';
import { gpuContext } from './helpers';
import { parseModelConfig } from '../src/engine/model/config';
import { buildModel } from '../src/engine/model/build';
import { makeFruitExamples, randomWeights, tinyTokenizer } from './synthetic';
import { TrainingRun } from '../src/engine/train/run';
import type { TrainSettings } from '../src/engine/train/trainer';
import type { PeftConfig } from '../src/engine/model/peft';
import { baseParameters, estimateTrainingPeak, gpuBaseParameters, type EstimatedPeft } from '../src/shared/memory-estimate';

const tokenizer = tinyTokenizer();
const config = parseModelConfig({
  model_type: 'roberta', vocab_size: tokenizer.vocabSize, hidden_size: 64, num_hidden_layers: 2, num_attention_heads: 4,
  intermediate_size: 256, max_position_embeddings: 70, id2label: { 0: 'no fruit', 1: 'fruit' },
});
const weights = randomWeights(config);
const BASE: TrainSettings = { steps: 2, batchSize: 8, maxLength: 64, seed: 1, lr: 1e-3, warmupRatio: 0, weightDecay: 0, maskLrMultiplier: 1, lambdaHead: 0, lambdaFfn: 0, dropout: false, logEvery: 1, maxGradNorm: 1 };

const CASES: { name: string; peft: PeftConfig; lightPeft: boolean; batchSize: number; seqLen: number }[] = [
  { name: 'LoRA q,v', peft: { kind: 'lora', rank: 8, alpha: 16, targets: ['query', 'value'] }, lightPeft: false, batchSize: 8, seqLen: 64 },
  { name: 'LoRA on all six, long texts', peft: { kind: 'lora', rank: 8, alpha: 16, targets: ['query', 'key', 'value', 'attention.output.dense', 'intermediate.dense', 'output.dense'] }, lightPeft: false, batchSize: 4, seqLen: 64 },
  { name: 'adapters', peft: { kind: 'adapter', size: 16, activation: 'relu' }, lightPeft: false, batchSize: 8, seqLen: 32 },
  { name: 'Light-PEFT estimation', peft: { kind: 'lora', rank: 8, alpha: 16, targets: ['query', 'key', 'value', 'attention.output.dense', 'intermediate.dense', 'output.dense'] }, lightPeft: true, batchSize: 8, seqLen: 64 },
];

describe('training memory estimate', () => {
  for (const c of CASES) {
    it(`${c.name}: within 15% of the measured peak`, async () => {
      const ctx = await gpuContext();
      await ctx.sync();
      ctx.pool.trim();
      const before = ctx.pool.inUseBytes;
      ctx.pool.resetPeak();
      const model = await buildModel(ctx, { config, weights, peft: c.peft, trainMasks: c.lightPeft, seed: 2 });
      // Every example is as long as the max length, so each batch is padded to it.
      const long = makeFruitExamples(16, 5).map((e) => ({ ...e, text: Array.from({ length: 12 }, () => e.text).join(' ') }));
      const settings = { ...BASE, batchSize: c.batchSize, maxLength: c.seqLen, lambdaHead: c.lightPeft ? 1e-3 : 0, lambdaFfn: c.lightPeft ? 1e-3 : 0 };
      const run = new TrainingRun(model, tokenizer, { train: long }, settings);
      await run.runSteps(2);
      const measured = ctx.pool.peakInUseBytes - before;
      const peft: EstimatedPeft = c.peft.kind === 'lora' ? { kind: 'lora', rank: c.peft.rank, targets: c.peft.targets } : { kind: 'adapter', size: c.peft.size };
      expect(baseParameters(config)).toBe(model.baseParameterCount());
      expect(gpuBaseParameters(config)).toBe(model.baseParameterCount('gpu'));
      const estimate = estimateTrainingPeak(
        { parameters: model.baseParameterCount('gpu'), layers: config.layers, hidden: config.hidden, heads: config.heads, intermediate: config.intermediate, labels: 2 },
        { batchSize: c.batchSize, seqLen: c.seqLen, peft, lightPeft: c.lightPeft },
      );
      console.log(`${c.name}: estimate ${(estimate.total / 2 ** 20).toFixed(2)} MiB, measured ${(measured / 2 ** 20).toFixed(2)} MiB (${((estimate.total / measured - 1) * 100).toFixed(1)}%)`);
      expect(estimate.total / measured).toBeGreaterThan(0.85);
      expect(estimate.total / measured).toBeLessThan(1.15);
      run.dispose();
      model.dispose();
    });
  }
});
