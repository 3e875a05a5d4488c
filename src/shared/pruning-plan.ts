/**
 * The Light-PEFT pruning plan: a pure function from learned scores and ratios to exactly which
 * heads, FFN dimensions, PEFT modules and ranks are kept, with exact counts (round(ratio·N), ties
 * broken by index) — plus predicted parameter counts and FLOPs, so a UI can re-plan as a slider
 * moves without touching the GPU.
 *
 * The paper's public code keeps the scores above numpy's interpolated quantile (score >
 * quantile(ratio)), which prunes floor(ratio·(N−1)) + 1 of N distinct scores. At its script's
 * ratios (0.333333333 for heads and FFN, 0.75 for modules, 0.5 for ranks) that equals
 * round(ratio·N) at the sizes plan.test.ts checks (12 to 3072; e.g. 5 of 16 heads either way), but
 * the rules part where ratio·(N−1) is a whole number (N = 5 at 0.25: 2 pruned there, 1 here;
 * N = 16 at exactly 1/3: 6 there, 5 here), where ratio·N ends in exactly .5 (N = 6 at 0.75: 4
 * there, 5 here), and on tied scores (all-equal masks: all pruned there, round(ratio·N) by index here).
 * Where we differ from it on purpose: heads and FFN dimensions are ranked by mask magnitude (a
 * mask of −0.9 still scales its head strongly), and no layer loses all its heads or FFN dimensions
 * unless `allowEmptyLayers`.
 */

import { DEFAULT_RATIOS, type PlanRatios, type Scope } from './pruning';

export { DEFAULT_RATIOS, type PlanRatios, type Scope };

export interface PlanShape {
  layers: number;
  hidden: number;
  heads: number;
  headDim: number;
  intermediate: number;
  vocabSize: number;
  maxPositions: number;
  numLabels: number;
}

export interface ModuleScores {
  module: string; // e.g. roberta.encoder.layer.0.attention.self.query
  kind: 'lora' | 'adapter';
  inFeatures: number;
  outFeatures: number;
  /** Importance Ratio (averaged over the estimation steps). */
  importance: number;
  /** Taylor score per rank (LoRA) or bottleneck unit (adapter). */
  rankScores: number[];
}

export interface PlanInput {
  shape: PlanShape;
  headMasks: number[][]; // [layer][head]
  ffnMasks: number[][]; // [layer][dim]
  modules: ModuleScores[];
}

export interface KeptModule {
  module: string;
  kind: 'lora' | 'adapter';
  keptRanks: number[];
  /** The module's other ranks (bottleneck units for adapters), removed by rank pruning. */
  removedRanks: number[];
}

export interface PruningPlan {
  ratios: PlanRatios;
  keptHeads: number[][]; // [layer] → kept head indices, ascending
  keptFfn: number[][]; // [layer] → kept FFN dims, ascending
  keptModules: KeptModule[]; // surviving modules, with their kept ranks
  removedModules: string[];
  counts: {
    heads: { before: number; pruned: number };
    ffn: { before: number; pruned: number };
    modules: { before: number; pruned: number };
    ranks: { before: number; pruned: number };
  };
  predicted: { before: ModelCost; after: ModelCost };
}

export interface ModelCost {
  /** Frozen base parameters (embeddings, encoder, without the classifier head). */
  baseParams: number;
  /** Trainable: PEFT weights + classifier head (masks excluded: they are discarded after pruning). */
  trainableParams: number;
  /** Multiply-adds ×2 per token of the encoder's linear layers and PEFT modules (attention scores excluded: they depend on length). */
  flopsPerToken: number;
  /** f32 bytes of all parameters. */
  weightBytes: number;
}

export function planPruning(input: PlanInput, ratios: PlanRatios): PruningPlan {
  checkRatios(ratios);
  const { shape } = input;
  const minPerLayer = ratios.allowEmptyLayers ? 0 : 1;
  const keptHeads = pruneGroups(input.headMasks.map((l) => l.map(Math.abs)), ratios.head, ratios.headScope, minPerLayer);
  const keptFfn = pruneGroups(input.ffnMasks.map((l) => l.map(Math.abs)), ratios.ffn, ratios.ffnScope, minPerLayer);

  // Modules: drop the lowest Importance Ratios globally (NaN counts as 0).
  const moduleOrder = input.modules.map((m, i) => ({ score: finite(m.importance), index: i }));
  const moduleDrop = new Set(lowest(moduleOrder, Math.round(ratios.module * input.modules.length)));
  const survivors = input.modules.filter((_, i) => !moduleDrop.has(i));

  // Ranks: drop the lowest Taylor scores globally across surviving modules.
  const rankEntries = survivors.flatMap((m, mi) => m.rankScores.map((s, r) => ({ score: finite(s), mi, r })));
  const rankDrop = new Set(lowest(rankEntries.map((e, index) => ({ score: e.score, index })), Math.round(ratios.rank * rankEntries.length)));
  const keptRanks: number[][] = survivors.map(() => []);
  rankEntries.forEach((e, index) => rankDrop.has(index) || keptRanks[e.mi].push(e.r));
  const keptModules: KeptModule[] = [];
  const removedModules = input.modules.filter((_, i) => moduleDrop.has(i)).map((m) => m.module);
  survivors.forEach((m, mi) => {
    // A module that loses every rank is removed.
    if (keptRanks[mi].length === 0) removedModules.push(m.module);
    else keptModules.push({ module: m.module, kind: m.kind, keptRanks: keptRanks[mi], removedRanks: m.rankScores.map((_, r) => r).filter((r) => !keptRanks[mi].includes(r)) });
  });

  const count = (groups: number[][]) => groups.reduce((n, g) => n + g.length, 0);
  const allRanks = input.modules.reduce((n, m) => n + m.rankScores.length, 0);
  const keptRankCount = keptModules.reduce((n, m) => n + m.keptRanks.length, 0);
  return {
    ratios,
    keptHeads,
    keptFfn,
    keptModules,
    removedModules,
    counts: {
      heads: { before: shape.layers * shape.heads, pruned: shape.layers * shape.heads - count(keptHeads) },
      ffn: { before: shape.layers * shape.intermediate, pruned: shape.layers * shape.intermediate - count(keptFfn) },
      modules: { before: input.modules.length, pruned: removedModules.length },
      ranks: { before: allRanks, pruned: allRanks - keptRankCount },
    },
    predicted: {
      before: modelCost(shape, Array(shape.layers).fill(shape.intermediate), Array(shape.layers).fill(shape.heads), input.modules.map((m) => ({ ...m, rank: m.rankScores.length }))),
      after: modelCost(
        shape,
        keptFfn.map((k) => k.length),
        keptHeads.map((k) => k.length),
        keptModules.map((k) => {
          const m = input.modules.find((x) => x.module === k.module)!;
          return { ...m, ...prunedFeatures(m, keptHeads, keptFfn, shape), rank: k.keptRanks.length };
        }),
      ),
    },
  };
}

/** Indices kept per group after removing round(ratio·N) lowest scores, per group or globally. */
function pruneGroups(groups: number[][], ratio: number, scope: Scope, minPerGroup: number): number[][] {
  const drop = groups.map(() => new Set<number>());
  if (scope === 'layer') {
    groups.forEach((g, li) => {
      const n = Math.min(Math.round(ratio * g.length), Math.max(0, g.length - minPerGroup));
      for (const i of lowest(g.map((score, index) => ({ score, index })), n)) drop[li].add(i);
    });
  } else {
    const entries = groups.flatMap((g, li) => g.map((score, d) => ({ score, li, d, index: 0 })));
    entries.forEach((e, i) => (e.index = i));
    let toDrop = Math.round(ratio * entries.length);
    // Walk from the lowest score up, skipping entries whose group is at its minimum.
    const order = [...entries].sort((a, b) => a.score - b.score || a.index - b.index);
    for (const e of order) {
      if (toDrop === 0) break;
      if (groups[e.li].length - drop[e.li].size <= minPerGroup) continue;
      drop[e.li].add(e.d);
      toDrop--;
    }
  }
  return groups.map((g, li) => g.map((_, i) => i).filter((i) => !drop[li].has(i)));
}

/** The `count` lowest-scoring entries' indices (ties: lower index first). */
function lowest(entries: Array<{ score: number; index: number }>, count: number): number[] {
  return [...entries]
    .sort((a, b) => a.score - b.score || a.index - b.index)
    .slice(0, count)
    .map((e) => e.index);
}

const finite = (x: number) => (Number.isFinite(x) ? x : 0);

function checkRatios(r: PlanRatios): void {
  for (const key of ['head', 'ffn', 'module', 'rank'] as const) {
    if (!(r[key] >= 0 && r[key] <= 1)) throw new RangeError(`${key} ratio must be between 0 and 1, got ${r[key]}`);
  }
}

/** In/out features of a module after its layer's heads and FFN dims are pruned. */
function prunedFeatures(m: ModuleScores, keptHeads: number[][], keptFfn: number[][], shape: PlanShape): { inFeatures: number; outFeatures: number } {
  const layer = Number(/layer\.(\d+)\./.exec(m.module)?.[1] ?? -1);
  if (layer < 0) return m;
  const attn = keptHeads[layer].length * shape.headDim;
  const ffn = keptFfn[layer].length;
  if (/attention\.self\.(query|key|value)$/.test(m.module)) return { inFeatures: shape.hidden, outFeatures: attn };
  if (/attention\.output\.dense$/.test(m.module)) return { inFeatures: attn, outFeatures: shape.hidden };
  if (/intermediate\.dense$/.test(m.module)) return { inFeatures: shape.hidden, outFeatures: ffn };
  if (/\.output\.dense$/.test(m.module)) return { inFeatures: ffn, outFeatures: shape.hidden };
  return m; // adapters act on the hidden size, which pruning does not change
}

function modelCost(
  shape: PlanShape,
  ffnPerLayer: number[],
  headsPerLayer: number[],
  modules: Array<{ kind: 'lora' | 'adapter'; inFeatures: number; outFeatures: number; rank: number }>,
): ModelCost {
  const H = shape.hidden;
  const embeddings = (shape.vocabSize + shape.maxPositions + 1) * H + 2 * H;
  let encoder = 0;
  let flops = 0;
  for (let l = 0; l < shape.layers; l++) {
    const attn = headsPerLayer[l] * shape.headDim;
    const ffn = ffnPerLayer[l];
    const linear = 3 * (H * attn + attn) + (attn * H + H) + (H * ffn + ffn) + (ffn * H + H);
    encoder += linear + 4 * H; // + two LayerNorms
    flops += 2 * (3 * H * attn + attn * H + 2 * H * ffn);
  }
  let peft = 0;
  for (const m of modules) {
    // LoRA: A [r, in] and B [out, r]; an adapter: down [m, H] and up [H, m], no biases.
    const params = m.kind === 'lora' ? m.rank * (m.inFeatures + m.outFeatures) : m.rank * (2 * H);
    peft += params;
    flops += 2 * (m.kind === 'lora' ? m.rank * (m.inFeatures + m.outFeatures) : 2 * m.rank * H);
  }
  const head = H * H + H + shape.numLabels * H + shape.numLabels;
  const baseParams = embeddings + encoder;
  return { baseParams, trainableParams: peft + head, flopsPerToken: flops, weightBytes: 4 * (baseParams + peft + head) };
}
