/**
 * Trainer options: gradient clipping (the update equals AdamW on gradients scaled to the global
 * norm, computed here on the CPU) and validation every N steps (step numbers, metrics and a
 * loss that match a separate evaluation).
 */
import { describe, expect, it } from 'vitest';
import { expectClose, gpuContext } from './helpers';
import { parseModelConfig } from '../src/engine/model/config';
import { buildModel } from '../src/engine/model/build';
import { uploadBatch } from '../src/engine/model/batch';
import { makeFruitExamples, randomWeights, tinyTokenizer } from './synthetic';
import { defaultOptimizer, evaluate, train, type EvalLog, type TrainSettings } from '../src/engine/train/trainer';
import { gradientStep } from '../src/engine/train/step';
import { shuffledBatches, tokenizeBatch } from '../src/engine/train/batches';
import { clipCoefficientRef } from '../src/kernels/reference/grad-norm';
import { adamwStepRef } from '../src/kernels/reference/adamw';
import type { GpuContext } from '../src/gpu/context';

const tokenizer = tinyTokenizer();
const config = parseModelConfig({
  model_type: 'roberta', vocab_size: tokenizer.vocabSize, hidden_size: 16, num_hidden_layers: 2, num_attention_heads: 2,
  intermediate_size: 32, max_position_embeddings: 40, id2label: { 0: 'no fruit', 1: 'fruit' },
});
const SETTINGS: TrainSettings = { steps: 1, batchSize: 8, maxLength: 20, seed: 3, lr: 0.05, warmupRatio: 0, weightDecay: 0.01, maskLrMultiplier: 1, lambdaHead: 1e-3, lambdaFfn: 1e-3, dropout: false, logEvery: 1 };

function tinyModel(ctx: GpuContext) {
  return buildModel(ctx, { config, weights: randomWeights(config), peft: { kind: 'lora', rank: 2, alpha: 4, targets: ['query', 'value'] }, trainMasks: true, seed: 5 });
}

describe('trainer options', () => {
  it('clips the global gradient norm before the AdamW update, and logs the norm', async () => {
    const ctx = await gpuContext();
    const examples = makeFruitExamples(16, 7);
    // Expected: the same model's gradients on the trainer's first batch, clipped and stepped on the CPU.
    const reference = await tinyModel(ctx);
    const indices = shuffledBatches(examples.length, SETTINGS.batchSize, SETTINGS.seed).next().value as number[];
    const batch = uploadBatch(ctx, tokenizeBatch(tokenizer, indices.map((i) => examples[i]), SETTINGS.maxLength));
    gradientStep(reference, batch, SETTINGS).release();
    const params = reference.trainableParams();
    const grads = await ctx.readMany(params.map((p) => p.grad));
    const before = await ctx.readMany(params.map((p) => p.tensor));
    const unclipped = clipCoefficientRef(grads, Infinity).norm;
    const maxGradNorm = unclipped / 4; // well inside clipping
    const { coefficient, norm } = clipCoefficientRef(grads, maxGradNorm);
    expect(coefficient).toBeCloseTo(0.25, 5);

    const model = await tinyModel(ctx);
    const { logs, optimizer } = await train(model, tokenizer, examples, { ...SETTINGS, maxGradNorm });
    expect(logs[0].gradNorm).toBeCloseTo(norm, 4);
    // Adam's first step is scale-invariant (m/√v), so the moments are what show the clipping.
    const trained = model.trainableParams();
    const after = await ctx.readMany(trained.map((p) => p.tensor));
    const moments = await ctx.readMany(trained.flatMap((p) => [optimizer.moments(p).m, optimizer.moments(p).v]));
    const groups = defaultOptimizer(SETTINGS).groups;
    params.forEach((p, k) => {
      const expected = before[k].slice();
      const m = new Float32Array(expected.length);
      const v = new Float32Array(expected.length);
      const group = groups[p.group];
      adamwStepRef({ param: expected, grad: grads[k].map((g) => g * coefficient), m, v, lr: SETTINGS.lr * group.lrMultiplier, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: group.weightDecay, step: 1 });
      expectClose(moments[2 * k], m, 1e-4, `${p.name} first moment`);
      expectClose(moments[2 * k + 1], v, 1e-4, `${p.name} second moment`);
      expectClose(after[k], expected, 1e-4, `${p.name} after one clipped step`);
    });
    optimizer.dispose();
    for (const m of [reference, model]) m.dispose();
    batch.dispose();
  });

  it('evaluates the validation set every N steps, on the weights after that step, outside the training time', async () => {
    const ctx = await gpuContext();
    const examples = makeFruitExamples(40, 8);
    const validation = makeFruitExamples(20, 9);
    const model = await tinyModel(ctx);
    const seen: EvalLog[] = [];
    const settings = { ...SETTINGS, steps: 6, evalEvery: 3, logEvery: 2, dropout: true };
    // Steps 1–6 of a 7-step schedule, so an evaluation runs after the last step of this call.
    const window = { offset: 0, total: 7, batches: shuffledBatches(examples.length, settings.batchSize, settings.seed) };
    const started = performance.now();
    const { evals, logs } = await train(model, tokenizer, examples, settings, undefined, undefined, window, {
      evaluation: { examples: validation, onResult: (log) => seen.push(log) },
    });
    const wall = (performance.now() - started) / 1000;
    expect(evals.map((e) => e.step)).toEqual([3, 6]);
    expect(seen).toEqual(evals);
    expect(logs.map((l) => l.step)).toEqual([2, 4, 6]);
    for (const e of evals) expect(e.count).toBe(20);
    expect(evals[0].loss).not.toBe(evals[1].loss); // the weights moved in between
    // Step 6's evaluation is an evaluation-mode pass over the final weights (no dropout).
    const after = await evaluate(model, tokenizer, validation, { batchSize: settings.batchSize, maxLength: settings.maxLength });
    expect({ loss: evals[1].loss, accuracy: evals[1].accuracy }).toEqual({ loss: after.loss, accuracy: after.accuracy });
    // Another batch size gives the same loss up to rounding.
    expect((await evaluate(model, tokenizer, validation, { batchSize: 64, maxLength: settings.maxLength })).loss).toBeCloseTo(after.loss, 5);
    // Training seconds leave the evaluations out.
    const evalSeconds = evals.reduce((sum, e) => sum + e.seconds, 0);
    expect(logs.at(-1)!.seconds + evalSeconds).toBeLessThanOrEqual(wall + 1e-3);
    model.dispose();
  });
});
