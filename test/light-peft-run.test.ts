/**
 * LightPeftRun on a tiny random model: scores averaged over the second half of estimation only;
 * snapshot, re-plan, evaluate at a plan without committing (the model left exactly as it was, the
 * metrics those of the pruned model), prune early and continue; pause and resume in either phase
 * to the losses of an uninterrupted run.
 */
import { describe, expect, it } from 'vitest';
import { expectClose, gpuContext, maxRelativeError } from './helpers';
import { data, settings, tinyModel, tokenizer } from './tiny-run';
import { LightPeftRun, type LightPeftSettings } from '../src/engine/lightpeft/run';
import { DEFAULT_RATIOS, planPruning, type PlanInput } from '../src/shared/pruning-plan';
import { readScores } from '../src/engine/lightpeft/scores';
import { TrainingRun } from '../src/engine/train/run';
import { tokenizeBatch } from '../src/engine/train/batches';
import { uploadBatch } from '../src/engine/model/batch';
import type { RobertaModel } from '../src/engine/model/roberta';
import type { StepLog } from '../src/engine/train/trainer';

/** Importance Ratios and rank scores of every module, flattened. */
const flatScores = (s: PlanInput) => s.modules.flatMap((m) => [m.importance, ...m.rankScores]);
const stepLoss = (logs: StepLog[]) => logs.map((l) => [l.step, l.loss, l.phase]);

describe('LightPeftRun scores', () => {
  it('averages Importance Ratios and rank scores over the second half of the estimation budget only', async () => {
    const ctx = await gpuContext();
    const estimation = settings({ steps: 6 }); // scores from step 3 (0-based): steps 4, 5, 6
    // Reference: an identical run that sums scores from its first step (scoring does not change
    // training), read after every step: each step's own scores are the differences of the sums.
    const referenceModel = await tinyModel(ctx);
    referenceModel.trainMasks = true;
    const reference = new TrainingRun(referenceModel, tokenizer, data, { ...estimation, scoreFrom: 0 });
    const sums: number[][] = [];
    for (let k = 0; k < 6; k++) {
      await reference.runSteps(1);
      sums.push(flatScores(await readScores(referenceModel, 1)));
    }
    const perStep = sums.map((s, k) => s.map((v, i) => v - (k > 0 ? sums[k - 1][i] : 0)));
    const mean = (steps: number[]) => perStep[0].map((_, i) => steps.reduce((sum, k) => sum + perStep[k][i], 0) / steps.length);

    const model = await tinyModel(ctx);
    const run = new LightPeftRun(model, tokenizer, data, { estimation, training: settings({ steps: 2 }), ratios: DEFAULT_RATIOS });
    await run.runSteps(3);
    const early = await run.snapshot();
    expect(early).toMatchObject({ phase: 'estimating', step: 3, scoreFrom: 3, scoredSteps: 0, plan: null });
    expect(flatScores(early.scores).every((v) => v === 0)).toBe(true); // no averages before the second half
    expect(() => run.plan(DEFAULT_RATIOS)).toThrow(/second half of estimation, from step 4/);
    expect(run.plan({ ...DEFAULT_RATIOS, module: 0, rank: 0 }).counts.heads.pruned).toBe(2); // masks are there from the start

    await run.runSteps(2);
    const middle = await run.snapshot();
    expect(middle.scoredSteps).toBe(2);
    expectClose(flatScores(middle.scores), mean([3, 4]), 1e-4, 'scores after steps 4 and 5');

    await run.runSteps(1); // the last estimation step, then the automatic prune
    expect(run.phase).toBe('training');
    const { scores, scoredSteps } = run.prunedWith!;
    expect(scoredSteps).toBe(3);
    expectClose(flatScores(scores), mean([3, 4, 5]), 1e-4, 'scores over the second half');
    // Averaging over every estimation step would give clearly different scores.
    expect(maxRelativeError(flatScores(scores), mean([0, 1, 2, 3, 4, 5]))).toBeGreaterThan(0.01);
    for (const r of [reference, run]) r.dispose();
    for (const m of [referenceModel, model]) m.dispose();
  });
});

describe('LightPeftRun snapshot, plans and pruning', () => {
  it('re-plans from a snapshot, evaluates a plan without committing, prunes early and trains the pruned model from the peak', async () => {
    const ctx = await gpuContext();
    const model = await tinyModel(ctx);
    // A high mask learning rate moves the masks well away from 1 (pruning resets the kept ones to 1).
    const run = new LightPeftRun(model, tokenizer, data, { estimation: settings({ steps: 10, maskLrMultiplier: 10 }), training: settings({ steps: 4 }), ratios: DEFAULT_RATIOS });
    await run.runSteps(7);
    const snapshot = await run.snapshot();
    expect(snapshot).toMatchObject({ phase: 'estimating', step: 7, budgets: { estimation: 10, training: 4 }, scoreFrom: 5, scoredSteps: 2, plan: null });
    expect(snapshot.recentLosses.map((l) => l.step)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(snapshot.scores.headMasks.map((l) => l.length)).toEqual([4, 4]);
    expect(snapshot.scores.ffnMasks.map((l) => l.length)).toEqual([32, 32]);
    expect(Math.max(...snapshot.scores.headMasks.flat().map((m) => Math.abs(m - 1)))).toBeGreaterThan(0.2); // the masks have trained

    const ratios = { ...DEFAULT_RATIOS, head: 0.5, ffn: 0.5, module: 0.5 };
    const plan = run.plan(ratios);
    expect(plan).toEqual(planPruning(snapshot.scores, ratios));
    expect(run.plan(DEFAULT_RATIOS).counts.heads.pruned).toBe(2);
    expect(plan.counts.heads.pruned).toBe(4);

    // Evaluating at the plan leaves every tensor as it was.
    const probe = uploadBatch(ctx, tokenizeBatch(tokenizer, data.validation.slice(0, 8), 20));
    const logits = async (m: RobertaModel) => {
      const result = m.forward(probe, { forBackward: false });
      const out = await ctx.read(result.logits);
      m.release(result);
      return out;
    };
    const tensors = () => ctx.readMany(model.trainableParams().map((p) => p.tensor));
    const [logitsBefore, tensorsBefore] = [await logits(model), await tensors()];
    const unmasked = await run.estimation.evaluate();
    const masked = await run.evaluateAtPlan(plan);
    expect(await logits(model)).toEqual(logitsBefore);
    expect(await tensors()).toEqual(tensorsBefore);
    expect(Math.abs(masked.loss - unmasked.loss)).toBeGreaterThan(1e-3);
    expect(run.step).toBe(7);

    // Pruning with that plan gives the model the masked evaluation measured.
    expect(await run.pruneNow(ratios)).toEqual(plan);
    expect(run.phase).toBe('training');
    expect(model.layers.map((l) => l.heads)).toEqual(plan.keptHeads.map((k) => k.length));
    expect(model.peftModules().map((m) => m.module)).toEqual(plan.keptModules.map((m) => m.module));
    const pruned = await run.current.evaluate();
    expect(pruned.accuracy).toBe(masked.accuracy);
    expect(pruned.loss).toBeCloseTo(masked.loss, 4);
    expect((await run.snapshot()).plan).toEqual(plan);
    await expect(run.evaluateAtPlan(plan)).rejects.toThrow(/pruned already/);
    await expect(run.pruneNow()).rejects.toThrow(/pruned already/);

    // The second phase: steps 8–11 (the estimation stopped at 7), from the peak learning rate.
    await run.runSteps(Infinity);
    expect(run.phase).toBe('done');
    const training = run.logs.filter((l) => l.phase === 'training');
    expect(training.map((l) => l.step)).toEqual([8, 9, 10, 11]);
    expect(training[0].lr).toBe(0.01);
    expect(await run.runSteps(5)).toBe(0);
    run.dispose();
    model.dispose();
    probe.dispose();
  });
});

describe('LightPeftRun pause and resume', () => {
  const SETTINGS: LightPeftSettings = { estimation: settings({ steps: 6 }), training: settings({ steps: 4 }), ratios: { ...DEFAULT_RATIOS, module: 0.5 } };

  it.each([
    ['in estimation (second half)', 4, 'estimating'],
    ['after pruning', 8, 'training'],
  ] as const)('resumed %s, it gives the losses of an uninterrupted run', async (_, pauseAt, phase) => {
    const ctx = await gpuContext();
    const straight = new LightPeftRun(await tinyModel(ctx), tokenizer, data, SETTINGS);
    while (straight.phase !== 'done') await straight.runSteps(Infinity);
    expect(straight.logs.map((l) => l.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);

    // Pause: stop between steps, then capture.
    const first = new LightPeftRun(await tinyModel(ctx), tokenizer, data, SETTINGS);
    while (first.step < pauseAt) await first.runSteps(Infinity, { shouldStop: () => first.step >= pauseAt });
    expect(first.phase).toBe(phase);
    const state = structuredClone(await first.captureState()); // as IndexedDB would keep it
    first.dispose();
    first.model.dispose();

    // A fresh model of the original shape: a pruned state prunes it with its plan first.
    const resumed = await LightPeftRun.restore(await tinyModel(ctx), tokenizer, data, SETTINGS, state);
    expect({ phase: resumed.phase, step: resumed.step }).toEqual({ phase, step: pauseAt });
    while (resumed.phase !== 'done') await resumed.runSteps(Infinity);
    expect(stepLoss(resumed.logs)).toEqual(stepLoss(straight.logs));
    expect(resumed.prunedWith!.plan).toEqual(straight.prunedWith!.plan);
    for (const r of [straight, resumed]) {
      r.dispose();
      r.model.dispose();
    }
  });
});
