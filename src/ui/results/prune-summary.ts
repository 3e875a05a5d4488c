/**
 * What a prune removed, read from its plan and the model's shape before it: pure functions the
 * Results screen renders and the tests check (the same lists the exported pruning.json holds).
 */
import type { PruningPlan } from '../../shared/pruning-plan';

/** Every removed head as [layer, head] (0-based), by layer then head: those of the shape before that the plan does not keep. */
export function removedHeads(plan: PruningPlan, headsBefore: number[]): [number, number][] {
  const removed: [number, number][] = [];
  headsBefore.forEach((count, layer) => {
    const kept = new Set(plan.keptHeads[layer] ?? []);
    for (let head = 0; head < count; head++) if (!kept.has(head)) removed.push([layer, head]);
  });
  return removed;
}

/** FFN dimensions removed in each layer: the width before less the dimensions the plan keeps. */
export function removedFfnCounts(plan: PruningPlan, ffnBefore: number[]): number[] {
  return ffnBefore.map((width, layer) => width - (plan.keptFfn[layer]?.length ?? 0));
}

/** Ranks removed from each kept PEFT module (HF module names), only those that lost some. */
export function removedRanks(plan: PruningPlan): { module: string; removed: number; kept: number }[] {
  return plan.keptModules
    .filter((m) => m.removedRanks.length > 0)
    .map((m) => ({ module: m.module, removed: m.removedRanks.length, kept: m.keptRanks.length }));
}

/** A per-layer count list in few words: "12 in each of 12 layers", else the counts in layer order. */
export function describePerLayer(counts: number[]): string {
  if (counts.length === 0) return '—';
  if (counts.every((c) => c === counts[0])) return `${counts[0]} in each of ${counts.length} layer${counts.length === 1 ? '' : 's'}`;
  return counts.join(' · ');
}

/** The relative change from `before` to `after` as a signed percent ("−25.0%"); "—" when before is 0. */
export function relativeChange(before: number, after: number): string {
  if (before === 0) return '—';
  const change = (after / before - 1) * 100;
  const sign = change > 0 ? '+' : change < 0 ? '−' : '±';
  return `${sign}${Math.abs(change).toFixed(1)}%`;
}
