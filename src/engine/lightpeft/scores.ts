/**
 * Light-PEFT's learned scores, read from the model after estimation: mask values, and the
 * Importance Ratio and Taylor rank scores averaged over the steps they were summed over. Also
 * their safetensors form (scores.safetensors), so a plan can be redone later without the GPU.
 */
import type { RobertaModel } from '../model/roberta';
import type { GpuContext } from '../../gpu/context';
import type { Tensor } from '../../gpu/buffers';
import { linearsOf } from '../model/params';
import { ffnMaskName, headMaskName, moduleScoreName, rankScoreName } from '../model/names';
import { parseSafetensors, readTensorF32, writeSafetensors } from '../io/safetensors';
import { BadInputError } from '../../errors';
import type { ModuleScores, PlanInput, PlanShape } from '../../shared/pruning-plan';

/**
 * Masks, and Importance Ratios and rank scores divided by the steps they were summed over, in one
 * batched read-back. With `scoredSteps` 0 (nothing summed yet) the scores are 0.
 */
export async function readScores(model: RobertaModel, scoredSteps: number): Promise<PlanInput> {
  const { ctx, config: c } = model;
  const steps = Math.max(1, scoredSteps);
  const linears = new Map(model.layers.flatMap(linearsOf).map((l) => [l.module, l]));
  const peft = model.peftModules();
  const L = model.layers.length;
  const values = await readPacked(ctx, [...model.layers.map((l) => l.headMask), ...model.layers.map((l) => l.ffnMask), ...peft.flatMap((m) => [m.importance, m.rankScore])]);
  const average = (data: Float32Array) => [...data].map((s) => (scoredSteps > 0 ? s / steps : 0));
  const modules: ModuleScores[] = peft.map((m, i) => {
    const lin = linears.get(m.module);
    return {
      module: m.module,
      kind: m.kind,
      inFeatures: lin?.inFeatures ?? c.hidden,
      outFeatures: lin?.outFeatures ?? c.hidden,
      importance: average(values[2 * L + 2 * i])[0],
      rankScores: average(values[2 * L + 2 * i + 1]),
    };
  });
  return {
    shape: { layers: c.layers, hidden: c.hidden, heads: c.heads, headDim: c.headDim, intermediate: c.intermediate, vocabSize: c.vocabSize, maxPositions: c.maxPositions, numLabels: c.numLabels },
    headMasks: values.slice(0, L).map((v) => [...v]),
    ffnMasks: values.slice(L, 2 * L).map((v) => [...v]),
    modules,
  };
}

/**
 * Small tensors read back as one: copied side by side into one buffer on the GPU, then one
 * submission, one staging buffer and one map. The live view reads them every few steps (56 on
 * the demo model, 168 on roberta-base); a map per tensor took ~6× as long on Dawn, and a browser
 * pays a round trip per map.
 */
async function readPacked(ctx: GpuContext, tensors: Tensor[]): Promise<Float32Array[]> {
  const total = tensors.reduce((n, t) => n + t.size, 0);
  const packed = ctx.empty([Math.max(1, total)], 'f32', 'light-peft scores read-back');
  try {
    let offset = 0;
    for (const t of tensors) {
      ctx.copy(t, packed, t.size, 0, offset);
      offset += t.size;
    }
    const all = await ctx.read(packed);
    offset = 0;
    return tensors.map((t) => all.subarray(offset, (offset += t.size)));
  } finally {
    packed.dispose();
  }
}

/** scores.safetensors: masks under their HF names, `score.module.<m>` [1], `score.rank.<m>` [r]; shape and kinds in the metadata. */
export function scoresToSafetensors(scores: PlanInput): Uint8Array {
  const tensors: Array<[string, { data: Float32Array; shape: number[] }]> = [];
  scores.headMasks.forEach((m, l) => tensors.push([headMaskName(l), { data: Float32Array.from(m), shape: [m.length] }]));
  scores.ffnMasks.forEach((m, l) => tensors.push([ffnMaskName(l), { data: Float32Array.from(m), shape: [m.length] }]));
  for (const m of scores.modules) {
    tensors.push([moduleScoreName(m.module), { data: Float32Array.of(m.importance), shape: [1] }]);
    tensors.push([rankScoreName(m.module), { data: Float32Array.from(m.rankScores), shape: [m.rankScores.length] }]);
  }
  const modules = scores.modules.map(({ module, kind, inFeatures, outFeatures }) => ({ module, kind, inFeatures, outFeatures }));
  return writeSafetensors(tensors, { format: 'pt', shape: JSON.stringify(scores.shape), modules: JSON.stringify(modules) });
}

export function scoresFromSafetensors(bytes: Uint8Array, file: string): PlanInput {
  const st = parseSafetensors(bytes, file);
  const meta = (key: string) => {
    try {
      return JSON.parse(st.metadata[key] ?? 'null');
    } catch {
      return null;
    }
  };
  const shape = meta('shape') as PlanShape | null;
  const modules = meta('modules') as Array<Omit<ModuleScores, 'importance' | 'rankScores'>> | null;
  if (!shape || !Array.isArray(modules)) throw new BadInputError(file, 'metadata', 'has no Light-PEFT "shape"/"modules" entries; use a scores.safetensors written by light-peft train');
  const vector = (name: string) => [...readTensorF32(st, name).data];
  return {
    shape,
    headMasks: Array.from({ length: shape.layers }, (_, l) => vector(headMaskName(l))),
    ffnMasks: Array.from({ length: shape.layers }, (_, l) => vector(ffnMaskName(l))),
    modules: modules.map((m) => ({ ...m, importance: vector(moduleScoreName(m.module))[0], rankScores: vector(rankScoreName(m.module)) })),
  };
}
