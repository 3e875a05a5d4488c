/**
 * The pruning explorer's state (zustand): the ratios a person is trying, and the plan they give on
 * the snapshot being shown — re-planned on the UI thread with the same pure planPruning the
 * engine prunes with, so the views mark exactly what "Prune now" would remove. Once a run is
 * pruned, the views show the plan that was applied instead.
 */
import { create } from 'zustand';
import { planPruning, type PlanRatios, type PruningPlan } from '../../shared/pruning-plan';
import type { MaskSnapshot, PruneOutcome } from '../../workers/protocol';
import { LIGHT_PEFT_DEFAULTS } from '../../shared/training-defaults';

export interface ExplorerState {
  ratios: PlanRatios;
  setRatios(patch: Partial<PlanRatios>): void;
}

export const useExplorer = create<ExplorerState>()((set, get) => ({
  ratios: LIGHT_PEFT_DEFAULTS.ratios,
  setRatios: (patch) => set({ ratios: { ...get().ratios, ...patch } }),
}));

/** What the views mark, and why. */
export interface ShownPlan {
  plan: PruningPlan;
  /** The ratios the plan was made with (module and rank held at 0 before their scores exist). */
  ratios: PlanRatios;
  /** 'applied': the run was pruned with it; 'preview': what pruning now at these ratios would remove. */
  kind: 'applied' | 'preview';
  /** Why module and rank ratios are held at 0, when they are. */
  held: string | null;
}

/**
 * The plan to draw for a snapshot: the applied one after pruning, else the plan of the explorer's
 * ratios on the snapshot's scores. Module and rank scores are averaged over the second half of
 * estimation only, so before it their ratios are held at 0 (the engine refuses otherwise).
 */
export function shownPlan(snapshot: MaskSnapshot, ratios: PlanRatios, pruned: PruneOutcome | null): ShownPlan {
  if (pruned) return { plan: pruned.plan, ratios: pruned.plan.ratios, kind: 'applied', held: null };
  const noScores = snapshot.scoredSteps === 0 && (ratios.module > 0 || ratios.rank > 0);
  const effective = noScores ? { ...ratios, module: 0, rank: 0 } : ratios;
  const held = noScores ? `Module and rank scores average over the second half of estimation (from step ${snapshot.scoreFrom + 1}); until then their ratios count as 0.` : null;
  return { plan: cachedPlan(snapshot, effective), ratios: effective, kind: 'preview', held };
}

/** One plan per snapshot and ratios: several views ask for the same one in a frame. */
let cache: { snapshot: MaskSnapshot; key: string; plan: PruningPlan } | null = null;
function cachedPlan(snapshot: MaskSnapshot, ratios: PlanRatios): PruningPlan {
  const key = JSON.stringify(ratios);
  if (cache && cache.snapshot === snapshot && cache.key === key) return cache.plan;
  const plan = planPruning(snapshot.scores, ratios);
  cache = { snapshot, key, plan };
  return plan;
}

/** [layer, head] of every head a plan removes. */
export function removedHeads(plan: PruningPlan, heads: number): [number, number][] {
  return plan.keptHeads.flatMap((kept, layer) => Array.from({ length: heads }, (_, head) => head).filter((h) => !kept.includes(h)).map((head) => [layer, head] as [number, number]));
}

/** Per layer, the FFN dimensions a plan removes. */
export function removedFfn(plan: PruningPlan, width: number): number[][] {
  return plan.keptFfn.map((kept) => {
    const keep = new Set(kept);
    return Array.from({ length: width }, (_, d) => d).filter((d) => !keep.has(d));
  });
}
