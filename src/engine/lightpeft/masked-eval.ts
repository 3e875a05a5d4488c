/**
 * A plan tried on the unpruned model: the tensors physical pruning would change are set to what
 * makes the model compute what the pruned one would (see prune.ts), `work` runs, and every one of
 * them goes back to its exact values. Pruned heads' and FFN dimensions' masks are 0 and kept ones
 * 1 (pruning resets masks to 1); a removed rank's up-projection column (LoRA B, adapter up) is 0,
 * with an adapter unit's down bias; a removed adapter's up bias is 0 too.
 */
import type { Tensor } from '../../gpu/buffers';
import type { RobertaModel } from '../model/roberta';
import type { PruningPlan } from '../../shared/pruning-plan';

export async function evaluateMasked<T>(model: RobertaModel, plan: PruningPlan, work: () => Promise<T>): Promise<T> {
  const { ctx } = model;
  if (plan.keptHeads.length !== model.layers.length) throw new Error(`plan has ${plan.keptHeads.length} layers, the model ${model.layers.length}`);
  const kept = new Map(plan.keptModules.map((m) => [m.module, new Set(m.keptRanks)]));
  /** Each tensor to change, with its value under the plan from its current one. */
  const edits: Array<{ tensor: Tensor; masked: (data: Float32Array) => Float32Array }> = [];
  for (const layer of model.layers) {
    const heads = new Set(plan.keptHeads[layer.index]);
    const ffn = new Set(plan.keptFfn[layer.index]);
    edits.push({ tensor: layer.headMask, masked: (d) => d.map((_, h) => (heads.has(h) ? 1 : 0)) });
    edits.push({ tensor: layer.ffnMask, masked: (d) => d.map((_, i) => (ffn.has(i) ? 1 : 0)) });
  }
  for (const m of model.peftModules()) {
    const ranks = kept.get(m.module) ?? new Set<number>();
    const rank = m.kind === 'lora' ? m.rank : m.w.size;
    // Row-major [out, rank]: column r of the up-projection is every rank-th value from r.
    const zeroColumns = (d: Float32Array) => d.map((v, i) => (ranks.has(i % rank) ? v : 0));
    if (m.kind === 'lora') {
      edits.push({ tensor: m.B, masked: zeroColumns });
    } else {
      edits.push({ tensor: m.w.upWeight, masked: zeroColumns });
    }
  }
  const saved = await ctx.readMany(edits.map((e) => e.tensor));
  const ffnMasksApplied = model.ffnMasksApplied;
  try {
    edits.forEach((e, i) => ctx.upload(e.tensor, e.masked(saved[i])));
    model.ffnMasksApplied = true;
    return await work();
  } finally {
    model.ffnMasksApplied = ffnMasksApplied;
    edits.forEach((e, i) => ctx.upload(e.tensor, saved[i]));
  }
}
