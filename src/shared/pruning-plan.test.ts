import { describe, expect, it } from 'vitest';
import { DEFAULT_RATIOS, planPruning, type ModuleScores, type PlanInput, type PlanShape } from './pruning-plan';

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

type PruningPlanCounts = ReturnType<typeof planPruning>['counts'];

describe('planPruning counts are round(ratio·N) whatever the fractional part', () => {
  // Each case has ratio·N = whole + fraction with the fraction below .5 (round = floor) or above
  // (round = ceil), so replacing any Math.round in plan.ts by Math.floor or Math.ceil fails one.
  const base = { ...DEFAULT_RATIOS, head: 0, ffn: 0, module: 0, rank: 0 };
  const cases: Array<[string, Partial<typeof base>, keyof PruningPlanCounts, number]> = [
    ['heads per layer, 0.3·4 = 1.2', { head: 0.3, headScope: 'layer' }, 'heads', 2 * 1],
    ['heads per layer, 0.4·4 = 1.6', { head: 0.4, headScope: 'layer' }, 'heads', 2 * 2],
    ['heads globally, 0.3·8 = 2.4', { head: 0.3, headScope: 'global' }, 'heads', 2],
    ['heads globally, 0.45·8 = 3.6', { head: 0.45, headScope: 'global' }, 'heads', 4],
    ['FFN dims per layer, 0.2·6 = 1.2', { ffn: 0.2, ffnScope: 'layer' }, 'ffn', 2 * 1],
    ['FFN dims per layer, 0.3·6 = 1.8', { ffn: 0.3, ffnScope: 'layer' }, 'ffn', 2 * 2],
    ['FFN dims globally, 0.2·12 = 2.4', { ffn: 0.2, ffnScope: 'global' }, 'ffn', 2],
    ['FFN dims globally, 0.3·12 = 3.6', { ffn: 0.3, ffnScope: 'global' }, 'ffn', 4],
    ['modules, 0.3·4 = 1.2', { module: 0.3 }, 'modules', 1],
    ['modules, 0.4·4 = 1.6', { module: 0.4 }, 'modules', 2],
    ['ranks, 0.3·8 = 2.4', { rank: 0.3 }, 'ranks', 2],
    ['ranks, 0.45·8 = 3.6', { rank: 0.45 }, 'ranks', 4],
  ];
  it.each(cases)('%s', (_, ratios, kind, pruned) => {
    const plan = planPruning(input(), { ...base, ...ratios });
    expect(plan.counts[kind].pruned).toBe(pruned);
  });
});

/** numpy.quantile(values, q) with numpy's default `linear` method, as numpy computes it. */
function numpyQuantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const virtualIndex = (sorted.length - 1) * q;
  const below = Math.floor(virtualIndex);
  const a = sorted[below];
  const b = sorted[Math.min(below + 1, sorted.length - 1)];
  const t = virtualIndex - below;
  return t >= 0.5 ? b - (b - a) * (1 - t) : a + (b - a) * t; // numpy's _lerp
}

/** How many of `scores` the public Light-PEFT code prunes at ratio q: it keeps score > quantile(q). */
function publicCodePruned(scores: number[], q: number): number {
  const threshold = numpyQuantile(scores, q);
  return scores.filter((s) => !(s > threshold)).length;
}

type Kind = 'heads' | 'ffn' | 'modules' | 'ranks';
const RATIO_OF: Record<Kind, 'head' | 'ffn' | 'module' | 'rank'> = { heads: 'head', ffn: 'ffn', modules: 'module', ranks: 'rank' };

/** `n` distinct positive scores. */
const distinct = (n: number) => Array.from({ length: n }, (_, i) => 1 + Math.sin(i * 7.1));

/**
 * A one-layer plan input whose `kind` has exactly `scores` (the other kinds are left alone at
 * ratio 0): heads or FFN dimensions of the layer, modules of one rank each, or the ranks of one module.
 */
function inputOf(kind: Kind, scores: number[]): PlanInput {
  const n = scores.length;
  return {
    shape: { ...shape, layers: 1, heads: n, intermediate: n },
    headMasks: [kind === 'heads' ? scores : distinct(n)],
    ffnMasks: [kind === 'ffn' ? scores : distinct(n)],
    modules: kind === 'modules' ? scores.map((s, i) => module(0, `m${i}`, s, [1])) : [module(0, 'ranks', 1, kind === 'ranks' ? scores : [1])],
  };
}

/** Pruned counts of `kind` at ratio q (head scope per layer, FFN scope global): this plan's and the public code's. */
function both(kind: Kind, q: number, scores: number[]): { ours: number; theirs: number } {
  const ratios = { ...DEFAULT_RATIOS, head: 0, ffn: 0, module: 0, rank: 0, [RATIO_OF[kind]]: q };
  return { ours: planPruning(inputOf(kind, scores), ratios).counts[kind].pruned, theirs: publicCodePruned(scores, q) };
}

describe("planPruning against the public code's quantile rule", () => {
  const sizes = [12, 16, 24, 64, 144, 768, 3072];

  it("agrees at the public script's ratios (heads and FFN 0.333333333, modules 0.75, ranks 0.5)", () => {
    for (const n of sizes) {
      for (const [kind, q] of [['heads', 0.333333333], ['ffn', 0.333333333], ['modules', 0.75], ['ranks', 0.5]] as const) {
        const { ours, theirs } = both(kind, q, distinct(n));
        expect(ours, `${kind}, N=${n}, q=${q}`).toBe(theirs);
        expect(ours).toBe(Math.round(q * n));
      }
    }
  });

  it('agrees at exactly 1/3 unless (N−1)/3 is a whole number, where the public rule prunes one more', () => {
    for (const n of sizes) {
      const { ours, theirs } = both('heads', 1 / 3, distinct(n));
      expect(theirs - ours, `N=${n}`).toBe((n - 1) % 3 === 0 ? 1 : 0);
    }
    expect(both('heads', 1 / 3, distinct(16))).toEqual({ ours: 5, theirs: 6 });
  });

  it('differs where q·(N−1) is a whole number: N=5 at 0.25 prunes 2 there, 1 here', () => {
    for (const kind of ['heads', 'ffn', 'modules', 'ranks'] as const) {
      expect(both(kind, 0.25, distinct(5)), kind).toEqual({ ours: 1, theirs: 2 });
    }
  });

  it('differs where ratio·N ends in exactly .5: N=6 at 0.75 prunes 4 there, 5 here', () => {
    expect(both('modules', 0.75, distinct(6))).toEqual({ ours: 5, theirs: 4 });
  });

  it('differs on ties: all-equal scores are all pruned there, round(ratio·N) by index here', () => {
    const equal = Array(12).fill(0.5);
    expect(both('heads', 1 / 3, equal)).toEqual({ ours: 4, theirs: 12 });
    expect(planPruning(inputOf('heads', equal), { ...DEFAULT_RATIOS, head: 1 / 3 }).keptHeads[0]).toEqual([4, 5, 6, 7, 8, 9, 10, 11]);
  });
});
