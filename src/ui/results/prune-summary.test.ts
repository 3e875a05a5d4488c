import { describe, expect, it } from 'vitest';
import type { PruningPlan } from '../../shared/pruning-plan';
import { describePerLayer, relativeChange, removedFfnCounts, removedHeads, removedRanks } from './prune-summary';
import { latestMetrics, methodOf } from './run-figures';
import type { RunDetails, RunSettings } from '../../workers/protocol';

/** Only the fields the summary reads; the rest of a plan does not matter here. */
function plan(parts: Pick<PruningPlan, 'keptHeads' | 'keptFfn' | 'keptModules' | 'removedModules'>): PruningPlan {
  return parts as PruningPlan;
}

describe('what a prune removed', () => {
  const p = plan({
    keptHeads: [[0, 2], [1, 2, 3]],
    keptFfn: [[0, 1, 5], [2]],
    keptModules: [
      { module: 'roberta.encoder.layer.0.attention.self.query', kind: 'lora', keptRanks: [0, 2], removedRanks: [1, 3] },
      { module: 'roberta.encoder.layer.1.attention.self.value', kind: 'lora', keptRanks: [0, 1, 2, 3], removedRanks: [] },
    ],
    removedModules: ['roberta.encoder.layer.0.attention.self.value'],
  });

  it('lists the heads of the shape before that the plan does not keep, as [layer, head]', () => {
    expect(removedHeads(p, [4, 4])).toEqual([
      [0, 1],
      [0, 3],
      [1, 0],
    ]);
  });

  it('counts the FFN dimensions removed in each layer', () => {
    expect(removedFfnCounts(p, [6, 6])).toEqual([3, 5]);
  });

  it('lists only the kept modules that lost ranks', () => {
    expect(removedRanks(p)).toEqual([{ module: 'roberta.encoder.layer.0.attention.self.query', removed: 2, kept: 2 }]);
  });

  it('describes per-layer counts in few words', () => {
    expect(describePerLayer([12, 12, 12])).toBe('12 in each of 3 layers');
    expect(describePerLayer([12, 9, 12])).toBe('12 · 9 · 12');
    expect(describePerLayer([])).toBe('—');
  });

  it('writes a signed relative change', () => {
    expect(relativeChange(200, 150)).toBe('−25.0%');
    expect(relativeChange(100, 110)).toBe('+10.0%');
    expect(relativeChange(5, 5)).toBe('±0.0%');
    expect(relativeChange(0, 5)).toBe('—');
  });
});

describe('a run’s figures', () => {
  const options = { method: { kind: 'lora', rank: 8, alpha: 16, targets: ['query', 'value'] }, steps: 10 };
  const settings = (lightPeft: object | null) => ({ options: { ...options, lightPeft } }) as unknown as RunSettings;

  it('names the method, with Light-PEFT when the run used it', () => {
    expect(methodOf(settings(null))).toBe('LoRA (rank 8)');
    expect(methodOf(settings({ estimateSteps: 4 }))).toBe('LoRA (rank 8) + Light-PEFT');
    expect(methodOf({ options: { method: { kind: 'adapter', size: 64 }, steps: 3 } } as unknown as RunSettings)).toBe('Adapter (size 64)');
    expect(methodOf(null)).toBe('unknown');
  });

  it('takes the final metrics, else the last evaluation with its step', () => {
    const evaluation = { step: 7, accuracy: 0.5, macroF1: 0.4, mcc: 0.1, count: 10, loss: 0.6, seconds: 1 };
    const base: RunDetails = { id: 'r', name: 'r', settings: null, loss: [], evaluations: [evaluation], metrics: null, pruned: null };
    expect(latestMetrics(base)).toEqual({ metrics: evaluation, step: 7 });
    const final = { accuracy: 0.9, macroF1: 0.8, mcc: 0.7, count: 10 };
    expect(latestMetrics({ ...base, metrics: final })).toEqual({ metrics: final, step: null });
    expect(latestMetrics({ ...base, evaluations: [] })).toBeNull();
  });
});
