/**
 * A NaN or infinite loss or gradient: the step guard skips the update of that step and of every
 * step after it, the next loss read-back reports the first bad step, and the run stops or rolls
 * back to its last good state at half the learning rate, replaying the same batches. NaN is put
 * in on purpose between steps (a trainable weight: the rollback restores it; a frozen one: it
 * does not, so the run gives up after its rollbacks).
 */
import { describe, expect, it } from 'vitest';
import { gpuContext } from './helpers';
import { parseModelConfig } from '../src/engine/model/config';
import { buildModel } from '../src/engine/model/build';
import { makeFruitExamples, randomWeights, tinyTokenizer } from './synthetic';
import { TrainingRun } from '../src/engine/train/run';
import { NonFiniteLossError, type TrainSettings } from '../src/engine/train/trainer';
import { NON_FINITE_DEFAULTS } from '../src/engine/train/defaults';
import type { GpuContext } from '../src/gpu/context';
import type { Tensor } from '../src/gpu/buffers';
import type { RobertaModel } from '../src/engine/model/roberta';

const tokenizer = tinyTokenizer();
const config = parseModelConfig({
  model_type: 'roberta', vocab_size: tokenizer.vocabSize, hidden_size: 16, num_hidden_layers: 2, num_attention_heads: 2,
  intermediate_size: 32, max_position_embeddings: 40, id2label: { 0: 'no fruit', 1: 'fruit' },
});
const weights = randomWeights(config);
const data = { train: makeFruitExamples(64, 4) };
const SETTINGS: TrainSettings = { steps: 30, batchSize: 8, maxLength: 16, seed: 1, lr: 1e-2, warmupRatio: 0, weightDecay: 0.01, maskLrMultiplier: 1, lambdaHead: 0, lambdaFfn: 0, dropout: false, logEvery: 2, maxGradNorm: 1 };

function tinyModel(ctx: GpuContext): Promise<RobertaModel> {
  return buildModel(ctx, { config, weights, peft: { kind: 'lora', rank: 2, alpha: 4, targets: ['query', 'value'] }, trainMasks: false, seed: 5 });
}

function poison(ctx: GpuContext, t: Tensor): void {
  ctx.upload(t, new Float32Array(t.size).fill(NaN));
}

async function readState(run: TrainingRun): Promise<Float32Array[]> {
  const params = run.model.trainableParams();
  return run.model.ctx.readMany(params.flatMap((p) => [p.tensor, run.optimizer.moments(p).m, run.optimizer.moments(p).v]));
}

describe('non-finite loss or gradients', () => {
  it('stop: names the first bad step, and the updates from it on changed nothing', async () => {
    const ctx = await gpuContext();
    const model = await tinyModel(ctx);
    const run = new TrainingRun(model, tokenizer, data, SETTINGS);
    const loraB = model.trainableParams().find((p) => p.name.includes('layer.1') && p.name.endsWith('lora_B.weight'))!;
    let afterStep3: Float32Array[] = [];
    const hooks = {
      onStep: async ({ step }: { step: number }) => {
        if (step !== 3) return;
        poison(ctx, loraB.tensor); // step 4's forward is NaN
        afterStep3 = await readState(run);
      },
    };
    const error = await run.runSteps(10, hooks).then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(NonFiniteLossError);
    expect((error as Error).message).toMatch(/The loss became NaN at step 4\. .*keeps step 3's weights/);
    expect(run.logs.map((l) => l.step)).toEqual([2]); // step 4's read-back found it
    // Steps 4 (the bad one) and every step the queue ran after it updated nothing: weights and moments are step 3's.
    const now = await readState(run);
    now.forEach((values, k) => expect(Array.from(values)).toEqual(Array.from(afterStep3[k])));
    run.dispose();
    model.dispose();
  });

  it('rollback: back to the last good state, the same batches again at half the learning rate', async () => {
    const ctx = await gpuContext();
    const every = NON_FINITE_DEFAULTS.goodStateEvery;
    const settings: TrainSettings = { ...SETTINGS, onNonFinite: 'rollback' };
    // Expected: the same run without the NaN, whose rate halves after step `every`.
    const cleanModel = await tinyModel(ctx);
    const clean = new TrainingRun(cleanModel, tokenizer, data, settings);
    await clean.runSteps(every);
    clean.lrScale = NON_FINITE_DEFAULTS.lrFactor;
    await clean.runSteps(settings.steps);
    const expected = await readState(clean);

    const model = await tinyModel(ctx);
    const run = new TrainingRun(model, tokenizer, data, settings);
    const loraA = model.trainableParams().find((p) => p.name.endsWith('lora_A.weight'))!;
    const rollbacks: unknown[] = [];
    let poisoned = false;
    const onStep = ({ step }: { step: number }) => {
      if (step === every + 3 && !poisoned) {
        poisoned = true;
        poison(ctx, loraA.tensor);
      }
    };
    // The steps a rollback undoes are not counted: one call for the whole budget finishes the run.
    await run.runSteps(settings.steps, { onStep, onRollback: (log) => rollbacks.push(log) });
    expect(run.done).toBe(true);
    expect(rollbacks).toEqual([{ badStep: every + 4, toStep: every, loss: NaN, gradNorm: NaN, lrScale: 0.5 }]);
    expect(run.rollbacks).toEqual(rollbacks);
    // Loss points: each step once, in order, those after the rollback at the halved rate.
    expect(run.logs.map((l) => l.step)).toEqual(Array.from({ length: settings.steps / 2 }, (_, i) => 2 * (i + 1)));
    for (const log of run.logs) expect(log.lr).toBeCloseTo(run.lrAt(log.step - 1) * (log.step > every ? 0.5 : 1), 12);
    expect(run.logs.every((l) => Number.isFinite(l.loss))).toBe(true);
    const got = await readState(run);
    got.forEach((values, k) => expect(Array.from(values)).toEqual(Array.from(expected[k])));
    // A checkpoint carries the lowered rate: a run resumed from it trains on at half the rate.
    const progress = run.progress();
    expect(progress.rollbacks).toEqual(rollbacks);
    const resumed = new TrainingRun(model, tokenizer, data, settings);
    resumed.restore(progress);
    expect(resumed.lrScale).toBe(0.5);
    for (const r of [run, clean]) r.dispose();
    for (const m of [model, cleanModel]) m.dispose();
  });

  it('rollback gives up after its rollbacks when the NaN comes back', async () => {
    const ctx = await gpuContext();
    const model = await tinyModel(ctx);
    const run = new TrainingRun(model, tokenizer, data, { ...SETTINGS, onNonFinite: 'rollback' });
    // A frozen weight is not part of the good state: every replay meets the NaN again.
    const onStep = ({ step }: { step: number }) => {
      if (step === 5) poison(ctx, model.embeddings.norm.gamma);
    };
    const error = await run.runSteps(100, { onStep }).then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(NonFiniteLossError);
    expect((error as Error).message).toMatch(/The loss became NaN at step 1, after 3 rollbacks/);
    expect(run.rollbacks.map((r) => [r.badStep, r.toStep, r.lrScale])).toEqual([
      [6, 0, 0.5],
      [1, 0, 0.25],
      [1, 0, 0.125],
    ]);
    run.dispose();
    model.dispose();
  });
});
