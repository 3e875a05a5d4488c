/**
 * The schedules and optimiser groups of training runs, read from what the runs log and write:
 * a plain run warms up and decays linearly to 0 at its own last step; Light-PEFT's estimation and
 * second phase each have their own schedule (the second starts again from the peak); masks train
 * without weight decay at their learning-rate multiplier, PEFT weights with the run's decay.
 * Expectations are written out here, not taken from the engine's schedule or optimizer code.
 */
import { describe, expect, it } from 'vitest';
import { expectClose, gpuContext } from './helpers';
import { data, settings, tinyModel, tokenizer } from './tiny-run';
import { TrainingRun } from '../src/engine/train/run';
import { LightPeftRun } from '../src/engine/lightpeft/run';
import { DEFAULT_RATIOS } from '../src/shared/pruning-plan';
import { gradientStep } from '../src/engine/train/step';
import { shuffledBatches, tokenizeBatch } from '../src/engine/train/batches';
import { uploadBatch } from '../src/engine/model/batch';
import { adamwStepRef } from '../src/kernels/reference/adamw';
import { LIGHT_PEFT_DEFAULTS } from '../src/engine/train/defaults';
import torchSchedules from './fixtures/lightpeft-schedules.json';

const PEAK = 0.01;

/** The lr of each 0-based step of a linear schedule: `warmup` steps up to the peak, then down to 0 at step `total`. */
function expectedLrs(total: number, warmup: number): number[] {
  return Array.from({ length: total }, (_, k) => (k < warmup ? (PEAK * (k + 1)) / warmup : (PEAK * (total - k)) / (total - warmup)));
}

describe('learning-rate schedules', () => {
  it("Light-PEFT with the scripts' defaults steps its two runs' learning rates as PyTorch's AdamW + LambdaLR does (tools/reference/make_schedule_fixture.py)", async () => {
    const ctx = await gpuContext();
    const { estimation: e, training: t } = LIGHT_PEFT_DEFAULTS;
    const [fixture] = torchSchedules.cases; // peak 3e-4, 6 estimation steps, 10 steps of the pruned model
    expect(e.lr).toBe(fixture.peak);
    const model = await tinyModel(ctx);
    const run = new LightPeftRun(model, tokenizer, data, {
      estimation: settings({ steps: fixture.estimation.length, lr: e.lr, warmupRatio: e.warmupRatio, weightDecay: e.weightDecay }),
      training: settings({ steps: fixture.training.length, lr: t.lr, warmupRatio: t.warmupRatio, weightDecay: t.weightDecay }),
      ratios: { ...DEFAULT_RATIOS, module: 0.25 },
    });
    while (run.phase !== 'done') await run.runSteps(Infinity);
    expectClose(run.logs.filter((l) => l.phase === 'estimation').map((l) => l.lr), fixture.estimation, 1e-12, 'estimation lr against torch');
    expectClose(run.logs.filter((l) => l.phase === 'training').map((l) => l.lr), fixture.training, 1e-12, 'second-phase lr against torch');
    run.dispose();
    model.dispose();
  });

  it('a run warms up over its warm-up share, then decays linearly to 0 at its last step', async () => {
    const ctx = await gpuContext();
    const run = new TrainingRun(await tinyModel(ctx), tokenizer, data, settings({ steps: 10, warmupRatio: 0.2 }));
    await run.runSteps(10);
    const lrs = run.logs.map((l) => l.lr);
    expect(run.logs.map((l) => l.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expectClose(lrs, expectedLrs(10, 2), 1e-12, 'lr per step');
    expect(lrs[1]).toBeCloseTo(PEAK, 12); // the peak at the end of warm-up
    // The decay line through the last two points reaches 0 exactly one step after the last.
    expect(lrs[9] - (lrs[8] - lrs[9])).toBeCloseTo(0, 12);
    run.dispose();
    run.model.dispose();
  });

  it('Light-PEFT: the estimation and the pruned model each have their own schedule; the second starts again from the peak', async () => {
    const ctx = await gpuContext();
    const model = await tinyModel(ctx);
    const run = new LightPeftRun(model, tokenizer, data, { estimation: settings({ steps: 8, warmupRatio: 0.25 }), training: settings({ steps: 6 }), ratios: { ...DEFAULT_RATIOS, module: 0.25 } });
    while (run.phase !== 'done') await run.runSteps(Infinity);
    const estimation = run.logs.filter((l) => l.phase === 'estimation');
    const training = run.logs.filter((l) => l.phase === 'training');
    expect(estimation.map((l) => l.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(training.map((l) => l.step)).toEqual([9, 10, 11, 12, 13, 14]); // step numbers run on
    expectClose(estimation.map((l) => l.lr), expectedLrs(8, 2), 1e-12, 'estimation lr');
    expectClose(training.map((l) => l.lr), expectedLrs(6, 0), 1e-12, 'second-phase lr');
    expect(training[0].lr).toBe(PEAK);
    expect(run.training!.optimizer).not.toBe(run.estimation.optimizer);
    expect(run.training!.optimizer.step).toBe(6); // a fresh AdamW: its bias correction starts again
    for (const phase of [estimation, training]) {
      const [before, last] = phase.slice(-2).map((l) => l.lr);
      expect(last - (before - last)).toBeCloseTo(0, 12); // ~0 at each phase's own end
    }
    run.dispose();
    model.dispose();
  });
});

describe('optimiser groups', () => {
  it('masks train without weight decay (at their lr multiplier), PEFT weights with the run’s decay', async () => {
    const ctx = await gpuContext();
    const estimation = settings({ steps: 4, weightDecay: 0.1, maskLrMultiplier: 3, maxGradNorm: 0 });
    // Expected: the first batch's gradients on an identical model, stepped by a hand-written AdamW.
    const reference = await tinyModel(ctx);
    reference.trainMasks = true;
    const indices = shuffledBatches(data.train.length, estimation.batchSize, estimation.seed).next().value as number[];
    const batch = uploadBatch(ctx, tokenizeBatch(tokenizer, indices.map((i) => data.train[i]), estimation.maxLength));
    gradientStep(reference, batch, estimation).release();
    const params = reference.trainableParams();
    const grads = await ctx.readMany(params.map((p) => p.grad));
    const before = await ctx.readMany(params.map((p) => p.tensor));

    const model = await tinyModel(ctx);
    const run = new LightPeftRun(model, tokenizer, data, { estimation, training: settings(), ratios: DEFAULT_RATIOS });
    await run.runSteps(1);
    const trained = model.trainableParams();
    expect(trained.map((p) => p.name)).toEqual(params.map((p) => p.name));
    const after = await ctx.readMany(trained.map((p) => p.tensor));
    const masks = params.filter((p) => p.group === 'mask');
    expect(masks.length).toBe(4);
    params.forEach((p, k) => {
      const mask = p.group === 'mask';
      const expected = before[k].slice();
      adamwStepRef({
        param: expected,
        grad: grads[k],
        m: new Float32Array(expected.length),
        v: new Float32Array(expected.length),
        lr: mask ? 3 * estimation.lr : estimation.lr,
        weightDecay: mask ? 0 : 0.1,
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-8,
        step: 1,
      });
      expectClose(after[k], expected, 1e-5, `${p.name} after one step`);
    });
    run.dispose();
    for (const m of [reference, model]) m.dispose();
    batch.dispose();
  });
});
