import { describe, expect, it } from 'vitest';
import { nextLiveRun } from './live-run';
import type { TrainProgress } from '../../workers/protocol';
import type { StepLog } from '../../shared/training';

const base: TrainProgress = { runId: 'r', name: 'n', phase: 'training', step: 0, totalSteps: 30, startStep: 0, newLogs: [], newEvaluations: [], stepsPerSecond: null, tokensPerSecond: null, gpuBytes: 0, peakGpuBytes: 0, checkpointStep: null, stage: null, pruned: null, paused: false, rollbacks: [], recoveries: [] };
const log = (step: number): StepLog => ({ step, loss: 1 / step, lr: 1e-3, seconds: step });
const evaluation = (step: number) => ({ step, loss: 1, accuracy: 0.5, macroF1: 0.5, mcc: 0, count: 4, seconds: 0 });

describe('nextLiveRun', () => {
  it('appends each message’s new points, and starts afresh for another run', () => {
    let live = nextLiveRun(null, { ...base, step: 4, newLogs: [log(2), log(4)] });
    live = nextLiveRun(live, { ...base, step: 6, newLogs: [log(6)], newEvaluations: [evaluation(6)] });
    expect(live.curve.map((l) => l.step)).toEqual([2, 4, 6]);
    expect(live.evaluations.map((e) => e.step)).toEqual([6]);
    expect(nextLiveRun(live, { ...base, runId: 'other', newLogs: [log(2)] }).curve.map((l) => l.step)).toEqual([2]);
  });

  it('after a lost device the first message of the new attempt replaces the curve (it carries every point up to its checkpoint)', () => {
    let live = nextLiveRun(null, { ...base, step: 10, newLogs: [2, 4, 6, 8, 10].map(log), newEvaluations: [evaluation(5)] });
    const recovery = { lostAtStep: 10, resumedFrom: 4, reason: 'The GPU device was lost (destroyed).' };
    live = nextLiveRun(live, { ...base, step: 4, startStep: 4, newLogs: [2, 4].map(log), recoveries: [recovery] });
    expect(live.curve.map((l) => l.step)).toEqual([2, 4]);
    expect(live.evaluations).toEqual([]);
    live = nextLiveRun(live, { ...base, step: 6, startStep: 4, newLogs: [log(6)], recoveries: [recovery] });
    expect(live.curve.map((l) => l.step)).toEqual([2, 4, 6]);
  });

  it('a new rollback drops the points after the step it went back to, then adds the new ones', () => {
    let live = nextLiveRun(null, { ...base, step: 10, newLogs: [2, 4, 6, 8, 10].map(log), newEvaluations: [evaluation(5), evaluation(10)] });
    const rollback = { badStep: 9, toStep: 6, loss: NaN, gradNorm: NaN, lrScale: 0.5 };
    live = nextLiveRun(live, { ...base, step: 8, newLogs: [log(8)], rollbacks: [rollback] });
    expect(live.curve.map((l) => l.step)).toEqual([2, 4, 6, 8]);
    expect(live.evaluations.map((e) => e.step)).toEqual([5]);
    // The same rollback again (every message lists them all) drops nothing more.
    live = nextLiveRun(live, { ...base, step: 10, newLogs: [log(10)], rollbacks: [rollback] });
    expect(live.curve.map((l) => l.step)).toEqual([2, 4, 6, 8, 10]);
    expect(live.rollbacks).toEqual([rollback]);
  });
});
