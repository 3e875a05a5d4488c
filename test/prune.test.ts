/**
 * Physical pruning is exact: the pruned model's logits equal the unpruned model's with the pruned
 * heads' and FFN dims' masks at 0 (survivors at 1) and the dropped ranks' / modules' LoRA (or
 * adapter) weights at 0.
 */
import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expectClose, gpuContext, randomArray } from './helpers';
import { nodeDirReader } from '../src/platform/node/dir-reader';
import { readModelDir, readPeftDir } from '../src/engine/model/model-dir';
import { buildModel } from '../src/engine/model/build';
import { parseBatchJson, uploadBatch } from '../src/engine/model/batch';
import { planPruning, type PlanInput } from '../src/shared/pruning-plan';
import { prune, selectCols } from '../src/engine/lightpeft/prune';
import type { RobertaModel } from '../src/engine/model/roberta';
import { gradientStep } from '../src/engine/train/step';
import { exportPeftAdapter, exportPrunedModel } from '../src/engine/export/export';

const FIXTURES = join(__dirname, 'fixtures');

async function load(name: string) {
  const ctx = await gpuContext();
  const dir = join(FIXTURES, name);
  const { config, weights } = await readModelDir(nodeDirReader(dir));
  const { peft, init } = await readPeftDir(nodeDirReader(join(dir, 'adapter')));
  const model = await buildModel(ctx, { config, weights, peft, peftInit: init, trainMasks: false });
  const batch = uploadBatch(ctx, parseBatchJson(JSON.parse(readFileSync(join(dir, 'batch.json'), 'utf8')), config, 'batch.json'));
  return { ctx, model, batch };
}

/** Scores as the estimation phase would leave them (here: seeded random). */
function scores(model: RobertaModel, seed: number): PlanInput {
  const c = model.config;
  return {
    shape: { layers: c.layers, hidden: c.hidden, heads: c.heads, headDim: c.headDim, intermediate: c.intermediate, vocabSize: c.vocabSize, maxPositions: c.maxPositions, numLabels: c.numLabels },
    headMasks: model.layers.map((l) => [...randomArray(l.heads, seed + l.index)]),
    ffnMasks: model.layers.map((l) => [...randomArray(l.intermediate, seed + 100 + l.index)]),
    modules: model.peftModules().map((m, i) => {
      const rank = m.kind === 'lora' ? m.rank : m.w.size;
      const lin = m.kind === 'lora' ? model.layers.flatMap((l) => [l.query, l.key, l.value, l.attentionOutput, l.intermediateDense, l.outputDense]).find((x) => x.module === m.module)! : null;
      return { module: m.module, kind: m.kind, inFeatures: lin?.inFeatures ?? c.hidden, outFeatures: lin?.outFeatures ?? c.hidden, importance: Math.abs(randomArray(1, seed + 200 + i)[0]), rankScores: [...randomArray(rank, seed + 300 + i)].map(Math.abs) };
    }),
  };
}

describe.each(['lora-all', 'adapter'])('physical pruning (%s)', (name) => {
  it('gives the same logits as masking the pruned parts, and trains afterwards', async () => {
    const reference = await load(name);
    const pruned = await load(name);
    const { ctx } = reference;
    const plan = planPruning(scores(reference.model, 11), { head: 0.5, ffn: 0.4, module: 0.3, rank: 0.5, headScope: 'layer', ffnScope: 'global' });
    expect(plan.counts.heads.pruned).toBeGreaterThan(0);
    expect(plan.counts.ranks.pruned).toBeGreaterThan(0);

    // The reference: masks at 0/1, dropped ranks' up-projection (B / up) columns and removed modules at 0.
    const kept = new Map(plan.keptModules.map((m) => [m.module, new Set(m.keptRanks)]));
    reference.model.ffnMasksApplied = true;
    for (const layer of reference.model.layers) {
      const heads = new Set(plan.keptHeads[layer.index]);
      const ffn = new Set(plan.keptFfn[layer.index]);
      ctx.upload(layer.headMask, Float32Array.from({ length: layer.heads }, (_, h) => (heads.has(h) ? 1 : 0)));
      ctx.upload(layer.ffnMask, Float32Array.from({ length: layer.intermediate }, (_, d) => (ffn.has(d) ? 1 : 0)));
    }
    for (const m of reference.model.peftModules()) {
      const ranks = kept.get(m.module) ?? new Set<number>();
      const up = m.kind === 'lora' ? m.B : m.w.upWeight;
      const rank = m.kind === 'lora' ? m.rank : m.w.size;
      const data = await ctx.read(up);
      for (let i = 0; i < data.length; i++) if (!ranks.has(i % rank)) data[i] = 0;
      ctx.upload(up, data);
    }

    const before = pruned.ctx.pool.inUseBytes;
    await prune(pruned.model, plan);
    expect(pruned.ctx.pool.inUseBytes).toBeLessThan(before);
    expect(pruned.model.layers.map((l) => l.heads)).toEqual(plan.keptHeads.map((k) => k.length));
    expect(pruned.model.layers.map((l) => l.intermediate)).toEqual(plan.keptFfn.map((k) => k.length));
    expect(pruned.model.peftModules().map((m) => m.module)).toEqual(plan.keptModules.map((m) => m.module));
    // The plan's predicted sizes are the models' (adapters: down and up projections, no biases).
    expect(plan.predicted.before.trainableParams).toBe(reference.model.trainableParameterCount());
    expect(plan.predicted.after.trainableParams).toBe(pruned.model.trainableParameterCount());
    expect(plan.predicted.after.baseParams).toBe(pruned.model.baseParameterCount());

    const logits = async (s: { model: RobertaModel; batch: ReturnType<typeof uploadBatch> }) => {
      const r = s.model.forward(s.batch, { forBackward: false });
      const out = await ctx.read(r.logits);
      s.model.release(r);
      return out;
    };
    expectClose(await logits(pruned), await logits(reference), 1e-4, 'pruned vs masked logits');

    // Exported as a checkpoint folder + adapter, it loads back to the same pruned model.
    const out = mkdtempSync(join(tmpdir(), 'pruned-'));
    mkdirSync(join(out, 'adapter'));
    for (const f of await exportPrunedModel(pruned.model, plan)) writeFileSync(join(out, f.name), f.bytes);
    for (const f of await exportPeftAdapter(pruned.model)) writeFileSync(join(out, 'adapter', f.name), f.bytes);
    const pruning = JSON.parse(readFileSync(join(out, 'pruning.json'), 'utf8'));
    expect(pruning.counts).toEqual(plan.counts);
    // It lists exactly what was removed: per layer the heads and FFN dims, per module its ranks.
    const complement = (keptSet: number[], n: number) => [...Array(n).keys()].filter((i) => !keptSet.includes(i));
    expect(pruning.heads.map((h: { removed: number[] }) => h.removed)).toEqual(plan.keptHeads.map((k) => complement(k, reference.model.config.heads)));
    expect(pruning.ffn.map((f: { removed: number[] }) => f.removed)).toEqual(plan.keptFfn.map((k) => complement(k, reference.model.config.intermediate)));
    const rankOf = new Map(reference.model.peftModules().map((m) => [m.module, m.kind === 'lora' ? m.rank : m.w.size]));
    for (const m of pruning.modules.kept as Array<{ module: string; keptRanks: number[]; removedRanks: number[] }>) {
      expect(m.removedRanks).toEqual(complement(m.keptRanks, rankOf.get(m.module)!));
    }
    const removedRankCount =
      pruning.modules.kept.reduce((n: number, m: { removedRanks: number[] }) => n + m.removedRanks.length, 0) +
      pruning.modules.removed.reduce((n: number, module: string) => n + rankOf.get(module)!, 0);
    expect(removedRankCount).toBe(plan.counts.ranks.pruned);
    const { config, weights } = await readModelDir(nodeDirReader(out));
    const { peft, init } = await readPeftDir(nodeDirReader(join(out, 'adapter')));
    const reloaded = await buildModel(ctx, { config, weights, peft, peftInit: init, trainMasks: false });
    expect(reloaded.layers.map((l) => [l.heads, l.intermediate])).toEqual(pruned.model.layers.map((l) => [l.heads, l.intermediate]));
    expect(await logits({ model: reloaded, batch: pruned.batch })).toEqual(await logits(pruned));

    // The pruned model trains: a step gives finite gradients of the new shapes.
    const step = gradientStep(pruned.model, pruned.batch, { lambdaHead: 0, lambdaFfn: 0 });
    expect(Number.isFinite((await ctx.read(step.totalLoss))[0])).toBe(true);
    for (const p of pruned.model.trainableParams()) expect(p.grad.size).toBe(p.tensor.size);
    step.release();
  });
});

describe('slicing helpers', () => {
  it('select columns of a row-major matrix', () => {
    expect([...selectCols(Float32Array.of(1, 2, 3, 4, 5, 6), 3, [0, 2])]).toEqual([1, 3, 4, 6]);
  });
});
