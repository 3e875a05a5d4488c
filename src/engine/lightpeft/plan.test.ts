import { describe, expect, it } from 'vitest';
import { DEFAULT_RATIOS, planPruning, type ModuleScores, type PlanInput, type PlanShape } from './plan';

const shape: PlanShape = { layers: 2, hidden: 8, heads: 4, headDim: 2, intermediate: 6, vocabSize: 50, maxPositions: 20, numLabels: 2 };

function module(layer: number, name: string, importance: number, rankScores: number[], inF = 8, outF = 8): ModuleScores {
  return { module: `roberta.encoder.layer.${layer}.${name}`, kind: 'lora', inFeatures: inF, outFeatures: outF, importance, rankScores };
}

function input(overrides: Partial<PlanInput> = {}): PlanInput {
  return {
    shape,
    headMasks: [
      [0.9, 0.1, 0.5, 0.3],
      [0.05, 0.8, 0.7, 0.2],
    ],
    ffnMasks: [
      [0.1, 0.2, 0.3, 0.4, 0.5, 0.6],
      [0.01, 0.02, 0.9, 0.8, 0.7, 0.03],
    ],
    modules: [
      module(0, 'attention.self.query', 0.3, [0.5, 0.1]),
      module(0, 'attention.self.value', 0.1, [0.4, 0.3]),
      module(1, 'attention.self.query', 0.2, [0.2, 0.6]),
      module(1, 'attention.self.value', 0.4, [0.05, 0.7]),
    ],
    ...overrides,
  };
}

describe('planPruning', () => {
  it('prunes exact counts per layer for heads and globally for FFN dims, by mask magnitude', () => {
    const plan = planPruning(input(), DEFAULT_RATIOS);
    // round(4/3) = 1 head per layer: the lowest mask in each.
    expect(plan.keptHeads).toEqual([
      [0, 2, 3],
      [1, 2, 3],
    ]);
    // round(12/3) = 4 FFN dims globally: 0.01, 0.02, 0.03 (layer 1) and 0.1 (layer 0).
    expect(plan.keptFfn).toEqual([
      [1, 2, 3, 4, 5],
      [2, 3, 4],
    ]);
    expect(plan.counts.heads).toEqual({ before: 8, pruned: 2 });
    expect(plan.counts.ffn).toEqual({ before: 12, pruned: 4 });
  });

  it('drops the lowest-importance modules, then the lowest-scoring ranks globally', () => {
    const plan = planPruning(input(), { ...DEFAULT_RATIOS, module: 0.5, rank: 0.5 });
    // Modules by importance: 0.1 (l0 value), 0.2 (l1 query) dropped.
    // Ranks left: l0 query [0.5, 0.1], l1 value [0.05, 0.7] → drop round(4·0.5) = 2: 0.05 and 0.1.
    expect(plan.keptModules).toEqual([
      { module: 'roberta.encoder.layer.0.attention.self.query', kind: 'lora', keptRanks: [0], removedRanks: [1] },
      { module: 'roberta.encoder.layer.1.attention.self.value', kind: 'lora', keptRanks: [1], removedRanks: [0] },
    ]);
    expect(plan.removedModules).toEqual(['roberta.encoder.layer.0.attention.self.value', 'roberta.encoder.layer.1.attention.self.query']);
    expect(plan.counts.modules).toEqual({ before: 4, pruned: 2 });
    expect(plan.counts.ranks).toEqual({ before: 8, pruned: 6 });
  });

  it('removes a module that loses all its ranks', () => {
    const modules = [module(0, 'attention.self.query', 0.9, [0.01, 0.02]), module(0, 'attention.self.value', 0.8, [0.5, 0.6])];
    const plan = planPruning(input({ modules }), { ...DEFAULT_RATIOS, module: 0, rank: 0.5 });
    expect(plan.keptModules.map((m) => m.module)).toEqual(['roberta.encoder.layer.0.attention.self.value']);
    expect(plan.removedModules).toEqual(['roberta.encoder.layer.0.attention.self.query']);
    expect(plan.counts.modules.pruned).toBe(1);
  });

  it('breaks ties by index: the lower index is pruned first', () => {
    const plan = planPruning(input({ headMasks: [[1, 1, 1, 1], [0.5, 0.5, 0.5, 0.5]] }), { ...DEFAULT_RATIOS, head: 0.5 });
    expect(plan.keptHeads).toEqual([
      [2, 3],
      [2, 3],
    ]);
  });

  it('ratio 0 keeps everything; ratio 1 keeps one head / dim per layer unless empty layers are allowed', () => {
    const none = planPruning(input(), { ...DEFAULT_RATIOS, head: 0, ffn: 0, module: 0, rank: 0 });
    expect(none.counts.heads.pruned + none.counts.ffn.pruned + none.counts.modules.pruned + none.counts.ranks.pruned).toBe(0);
    expect(none.predicted.after).toEqual(none.predicted.before);
    const all = planPruning(input(), { ...DEFAULT_RATIOS, head: 1, ffn: 1, module: 1, rank: 1 });
    expect(all.keptHeads).toEqual([[0], [1]]); // the largest mask of each layer
    expect(all.keptFfn).toEqual([[5], [2]]);
    expect(all.keptModules).toEqual([]);
    const empty = planPruning(input(), { ...DEFAULT_RATIOS, head: 1, ffn: 1, allowEmptyLayers: true });
    expect(empty.keptHeads).toEqual([[], []]);
    expect(empty.keptFfn).toEqual([[], []]);
  });

  it('global FFN scope never empties a layer, and the count stays exact', () => {
    const plan = planPruning(input({ ffnMasks: [[0.01, 0.02, 0.03, 0.04, 0.05, 0.06], [0.9, 0.9, 0.9, 0.9, 0.9, 0.9]] }), { ...DEFAULT_RATIOS, ffn: 0.5 });
    expect(plan.keptFfn[0]).toEqual([5]);
    expect(plan.counts.ffn.pruned).toBe(6);
  });

  it('treats NaN scores as 0 and rejects ratios outside [0, 1]', () => {
    const modules = [module(0, 'attention.self.query', NaN, [NaN, 1]), module(0, 'attention.self.value', 0.5, [0.5, 0.6])];
    const plan = planPruning(input({ modules }), { ...DEFAULT_RATIOS, module: 0.5, rank: 0 });
    expect(plan.removedModules).toEqual(['roberta.encoder.layer.0.attention.self.query']);
    expect(() => planPruning(input(), { ...DEFAULT_RATIOS, head: 1.5 })).toThrow('head ratio must be between 0 and 1, got 1.5');
  });

  it('predicts parameters and FLOPs from the kept shapes', () => {
    const plan = planPruning(input(), { ...DEFAULT_RATIOS, module: 0, rank: 0 });
    const { before, after } = plan.predicted;
    // Each layer loses one head (2 dims): Q, K, V lose 2·(8+1) each, attention.output 2·8; 4 FFN dims go, each 8+1+8.
    expect(before.baseParams - after.baseParams).toBe(2 * (3 * 2 * 9 + 2 * 8) + 4 * 17);
    expect(after.flopsPerToken).toBeLessThan(before.flopsPerToken);
    // LoRA on the four query/value modules shrinks: each lost 2 output features × rank 2.
    expect(before.trainableParams - after.trainableParams).toBe(4 * 2 * 2);
  });
});
