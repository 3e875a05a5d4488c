import { describe, expect, it } from 'vitest';
import { removedFfn, removedHeads, shownPlan } from './explorer';
import { planPruning, type PlanInput, type PlanRatios } from '../../shared/pruning-plan';
import type { MaskSnapshot, PruneOutcome } from '../../workers/protocol';

const scores: PlanInput = {
  shape: { layers: 2, hidden: 8, heads: 2, headDim: 4, intermediate: 4, vocabSize: 10, maxPositions: 10, numLabels: 2 },
  headMasks: [[0.9, 0.2], [0.5, 0.8]],
  ffnMasks: [[0.1, 0.9, 0.8, 0.3], [0.7, 0.05, 0.6, 0.4]],
  modules: [
    { module: 'roberta.encoder.layer.0.attention.self.query', kind: 'lora', inFeatures: 8, outFeatures: 8, importance: 0.3, rankScores: [1, 2] },
    { module: 'roberta.encoder.layer.1.attention.self.query', kind: 'lora', inFeatures: 8, outFeatures: 8, importance: 0.7, rankScores: [3, 0.5] },
  ],
};
const snapshot = (scoredSteps: number): MaskSnapshot => ({ step: 4, stage: 'estimating', budgets: { estimation: 10, training: 5 }, scoreFrom: 5, scoredSteps, scores });
const RATIOS: PlanRatios = { head: 0.5, ffn: 0.5, module: 0.5, rank: 0.5, headScope: 'layer', ffnScope: 'global' };

describe('the explorer’s plan', () => {
  it('is the engine’s plan of the shown snapshot at the chosen ratios', () => {
    const shown = shownPlan(snapshot(2), RATIOS, null);
    expect(shown).toMatchObject({ kind: 'preview', held: null, ratios: RATIOS });
    expect(shown.plan).toEqual(planPruning(scores, RATIOS));
    expect(removedHeads(shown.plan, 2)).toEqual([[0, 1], [1, 0]]);
    expect(removedFfn(shown.plan, 4)).toEqual([[0, 3], [1, 3]]); // the 4 lowest of 8, across layers
  });

  it('holds module and rank ratios at 0 before their scores exist, and says why', () => {
    const shown = shownPlan(snapshot(0), RATIOS, null);
    expect(shown.ratios).toEqual({ ...RATIOS, module: 0, rank: 0 });
    expect(shown.held).toContain('from step 6');
    expect(shown.plan.removedModules).toEqual([]);
    expect(shownPlan(snapshot(0), { ...RATIOS, module: 0, rank: 0 }, null).held).toBeNull();
  });

  it('shows the applied plan once the run is pruned, whatever the sliders say', () => {
    const applied = planPruning(scores, { ...RATIOS, head: 0 });
    const pruned = { plan: applied } as PruneOutcome;
    expect(shownPlan(snapshot(2), RATIOS, pruned)).toMatchObject({ kind: 'applied', plan: applied });
  });
});
