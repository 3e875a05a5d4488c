/**
 * Light-PEFT runs in the worker (Node, Dawn on SwiftShader, fake-indexeddb): the stages in order,
 * snapshots every `snapshotEvery` estimation steps, the automatic prune measured on both sides and
 * made from the last snapshot's scores; pause, evaluate a plan, prune now and continue between
 * steps; and a run stopped before or after its prune resuming to the losses and plan of an
 * uninterrupted one.
 */
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import type { MaskSnapshot, TrainOptions, TrainProgress } from '../protocol';
import { tinySession } from '../../../test/worker-session';
import { planPruning, type PlanRatios } from '../../shared/pruning-plan';
import { listRuns } from './runs';
import { resumeRun, startTraining, stopTraining } from './train';
import { continueTraining, evaluatePlan, pauseTraining, pruneNow, snapshotHistory, sweepPlans } from './run-actions';
import { classifyWhenFree } from './classify';

const noProgress = () => {};
const RATIOS: PlanRatios = { head: 0.5, ffn: 0.5, module: 0.5, rank: 0.5, headScope: 'layer', ffnScope: 'global' };
const OPTIONS: TrainOptions = {
  method: { kind: 'lora', rank: 4, alpha: 8, targets: ['query', 'value', 'intermediate.dense'] },
  steps: 4,
  batchSize: 4,
  lr: 1e-2,
  maxLength: 16,
  seed: 5,
  dropout: true,
  checkpointEvery: 4,
  evalEvery: 0,
  lightPeft: { estimateSteps: 6, lambdaHead: 1e-2, lambdaFfn: 1e-2, ratios: RATIOS, snapshotEvery: 2 },
};
const SHAPE = { layers: 2, heads: 4, intermediate: 16 };

const readySession = (store: string) => tinySession(store, SHAPE);

const stepLoss = (logs: { step: number; loss: number }[]) => logs.map((l) => [l.step, l.loss]);
/** Each distinct stage in the order it was first reported. */
const stagesOf = (seen: TrainProgress[]) => seen.map((p) => p.stage).filter((s, i, all) => s !== all[i - 1]);

describe('Light-PEFT in the worker', () => {
  it('estimates with snapshots, prunes at the end of the budget with both sides measured, and trains the pruned model', async () => {
    const session = await readySession('lp-straight');
    const seen: TrainProgress[] = [];
    const snapshots: MaskSnapshot[] = [];
    const result = await startTraining(session, OPTIONS, (p) => seen.push(structuredClone(p)), (s) => snapshots.push(structuredClone(s)));

    expect(result).toMatchObject({ status: 'finished', step: 10, totalSteps: 10 });
    expect(stagesOf(seen)).toEqual(['estimating', 'planning', 'pruning', 'training', 'done']);
    // Before the first step, every snapshotEvery estimation steps, and the plan applied after the prune.
    expect(snapshots.map((s) => [s.step, s.stage])).toEqual([[0, 'estimating'], [2, 'estimating'], [4, 'estimating'], [6, 'planning'], [6, 'training']]);
    expect(snapshots[0].scores.headMasks).toEqual([[1, 1, 1, 1], [1, 1, 1, 1]]);
    expect(snapshots[2].scores.headMasks).not.toEqual(snapshots[1].scores.headMasks); // the masks learn
    expect(snapshots.map((s) => s.scoredSteps)).toEqual([0, 0, 1, 3, 3]); // averaged over the second half (from step 4)
    expect(snapshotHistory(session)).toEqual(snapshots);

    const pruned = result.pruned!;
    expect(pruned).toMatchObject({ step: 6, trigger: 'auto' });
    // The plan is the pure plan of the last estimation snapshot's scores at the run's ratios.
    expect(pruned.plan).toEqual(planPruning(snapshots[3].scores, RATIOS));
    expect(pruned.before.shape).toEqual({ heads: [4, 4], ffn: [16, 16] });
    expect(pruned.after.shape.heads).toEqual([2, 2]);
    expect(pruned.after.shape.ffn.reduce((a, b) => a + b)).toBe(16);
    expect(pruned.after.baseParams).toBeLessThan(pruned.before.baseParams);
    expect(pruned.after.trainableParams).toBeLessThan(pruned.before.trainableParams);
    expect(pruned.after.gpuBytes).toBeLessThan(pruned.before.gpuBytes);
    expect(pruned.before.metrics!.count).toBe(8);
    expect(pruned.after.metrics).toEqual(result.metrics);
    for (const side of [pruned.before, pruned.after]) {
      expect(side.trainStepSeconds).toBeGreaterThan(0);
      expect(side.inferenceSeconds).toBeGreaterThan(0);
    }
    // Estimation's loss carries the L1 term on the masks; its task part is read with it. The pruned model has no masks.
    const estimationLogs = result.loss.filter((l) => l.step <= 6);
    expect(estimationLogs.length).toBeGreaterThan(0);
    for (const l of estimationLogs) expect(l.taskLoss! > 0 && l.taskLoss! < l.loss).toBe(true);
    expect(result.loss.filter((l) => l.step > 6).every((l) => l.taskLoss === undefined)).toBe(true);
    // The model before pruning on the validation set, then the pruned model's final evaluation.
    expect(result.evaluations.map((e) => e.step)).toEqual([6, 10]);
    expect(result.evaluations[0]).toMatchObject({ accuracy: pruned.before.metrics!.accuracy });
    expect(session.lastPrune!.plan).toEqual(pruned.plan);
    expect(result.model.parameters).toBe(pruned.after.baseParams);
    expect(seen.find((p) => p.pruned)!.pruned!.plan).toEqual(pruned.plan);
    const [listed] = await listRuns(session);
    expect(listed).toMatchObject({ status: 'finished', step: 10, totalSteps: 10 });

    // Stopped during estimation, and after the prune: each resumes to the same losses and plan.
    for (const stopAt of [3, 8]) {
      const first = await readySession(`lp-stop-${stopAt}`);
      const stopped = await startTraining(first, OPTIONS, (p) => {
        if (p.step >= stopAt) stopTraining(first);
      });
      expect(stopped).toMatchObject({ status: 'paused', step: stopAt, metrics: null });
      expect((await listRuns(first)).find((r) => r.id === stopped.runId)).toMatchObject({ status: 'paused', step: stopAt, totalSteps: 10 });
      const reloaded = await readySession(`lp-stop-${stopAt}`);
      const resumed = await resumeRun(reloaded, stopped.runId, noProgress);
      expect(resumed).toMatchObject({ status: 'finished', step: 10 });
      expect(stepLoss(resumed.loss)).toEqual(stepLoss(result.loss));
      expect(resumed.pruned!.plan).toEqual(pruned.plan);
      expect(resumed.metrics).toEqual(result.metrics);
    }
  });

  it('pauses between steps; while paused evaluates plans without committing, prunes now, then continues', async () => {
    const session = await readySession('lp-pause');
    let pausedAt: (p: TrainProgress) => void = () => {};
    const paused = new Promise<TrainProgress>((resolve) => (pausedAt = resolve));
    const seen: TrainProgress[] = [];
    const training = startTraining(session, OPTIONS, (p) => {
      seen.push(structuredClone(p));
      if (p.step === 2 && p.stage === 'estimating' && !p.paused) pauseTraining(session);
      if (p.paused) pausedAt(p);
    });
    const at = await paused;
    expect(at).toMatchObject({ step: 2, stage: 'estimating', paused: true });
    expect(pauseTraining(session)).toBe(false); // already paused

    const noModules = { ...RATIOS, module: 0, rank: 0 };
    const evaluated = await evaluatePlan(session, noModules, 5);
    expect(evaluated).toMatchObject({ examples: 5, evaluation: { count: 5 }, counts: { heads: { before: 8, pruned: 4 } } });
    // Module and rank scores only exist from the second half of estimation (step 4 here).
    await expect(evaluatePlan(session, RATIOS, 5)).rejects.toMatchObject({ name: 'NotReadyError', message: expect.stringContaining('module and rank ratios of 0') });
    await expect(evaluatePlan(session, noModules, 0)).rejects.toMatchObject({ name: 'SettingError' });
    const points: number[] = [];
    const sweep = await sweepPlans(session, [0, 0.25, 0.5].map((head) => ({ ...noModules, head })), (done) => points.push(done), 5);
    expect(points).toEqual([1, 2, 3]);
    expect(sweep.map((r) => r.counts.heads.pruned)).toEqual([0, 2, 4]);
    // Nothing was committed: evaluating the same plan again gives the same figures.
    expect((await evaluatePlan(session, noModules, 5)).evaluation).toMatchObject({ loss: evaluated.evaluation.loss, accuracy: evaluated.evaluation.accuracy });

    // Try it works on a paused run, with the weights as they are.
    const probabilities = await classifyWhenFree(session, 'cheap pills now');
    expect(probabilities.map((p) => p.label)).toEqual(['ham', 'spam']);
    expect(probabilities[0].probability + probabilities[1].probability).toBeCloseTo(1, 6);

    const outcome = await pruneNow(session, noModules);
    expect(outcome).toMatchObject({ step: 2, trigger: 'now', after: { shape: { heads: [2, 2] } } });
    await expect(pruneNow(session, noModules)).rejects.toMatchObject({ name: 'NotReadyError' });
    await expect(evaluatePlan(session, noModules)).rejects.toMatchObject({ name: 'NotReadyError' });
    expect(continueTraining(session)).toBe(true);
    const result = await training;
    expect(result).toMatchObject({ status: 'finished', step: 6, totalSteps: 6 });
    expect(result.pruned).toMatchObject({ step: 2, trigger: 'now', plan: outcome.plan });
    expect(stagesOf(seen)).toEqual(['estimating', 'planning', 'pruning', 'training', 'done']);
    // With no run, the actions say what to do.
    await expect(pruneNow(session, noModules)).rejects.toMatchObject({ name: 'NotReadyError', message: expect.stringContaining('Light-PEFT run') });
    expect(continueTraining(session)).toBe(false);
  });

  it('pauses and continues a plain run too; the Light-PEFT actions are refused there', async () => {
    const session = await readySession('plain-pause');
    const { lightPeft, ...plain } = OPTIONS;
    let pausedAt: (p: TrainProgress) => void = () => {};
    const paused = new Promise<TrainProgress>((resolve) => (pausedAt = resolve));
    const steps: number[] = [];
    let asked = false;
    const training = startTraining(session, plain, (p) => {
      if (p.phase === 'training') steps.push(p.step);
      if (p.step === 1 && !asked) asked = pauseTraining(session);
      if (p.paused) pausedAt(p);
    });
    expect(await paused).toMatchObject({ step: 1, stage: null, paused: true });
    await expect(pruneNow(session, RATIOS)).rejects.toMatchObject({ name: 'NotReadyError' });
    const before = steps.length;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(steps.slice(before).every((s) => s === 1)).toBe(true); // no step while paused
    expect(continueTraining(session)).toBe(true);
    expect(await training).toMatchObject({ status: 'finished', step: 4, pruned: null });
  });

  it('describes the next run’s model as built, not as the last run pruned it', async () => {
    const session = await readySession('lp-then-plain');
    const full = session.model!.summary.parameters;
    const { lightPeft, ...plain } = OPTIONS;
    const pruned = await startTraining(session, { ...OPTIONS, steps: 1, lightPeft: { ...lightPeft!, estimateSteps: 2 } }, () => {});
    expect(pruned.model.parameters).toBeLessThan(full);
    const after = await startTraining(session, { ...plain, steps: 1 }, () => {});
    expect(after.model.parameters).toBe(full);
  });

  it('refuses Light-PEFT options out of range, naming them', async () => {
    const session = await readySession('lp-options');
    const lp = OPTIONS.lightPeft!;
    await expect(startTraining(session, { ...OPTIONS, lightPeft: { ...lp, estimateSteps: 0 } }, noProgress)).rejects.toMatchObject({ name: 'SettingError', message: expect.stringContaining('Estimation steps') });
    await expect(startTraining(session, { ...OPTIONS, lightPeft: { ...lp, ratios: { ...RATIOS, head: 1.5 } } }, noProgress)).rejects.toMatchObject({ message: expect.stringContaining('head pruning ratio') });
    await expect(startTraining(session, { ...OPTIONS, lightPeft: { ...lp, lambdaFfn: -1 } }, noProgress)).rejects.toMatchObject({ message: expect.stringContaining('λ for FFN masks') });
    await expect(startTraining(session, { ...OPTIONS, lightPeft: { ...lp, ratios: { ...RATIOS, ffnScope: 'row' as never } } }, noProgress)).rejects.toMatchObject({ message: expect.stringContaining('FFN pruning scope') });
  });
});
