/**
 * Physical pruning: replaces a model's tensors with smaller ones that keep only the plan's heads,
 * FFN dimensions, PEFT modules and ranks. Q/K/V lose rows (and bias entries) of dropped heads,
 * attention.output.dense loses those columns; intermediate.dense loses rows of dropped FFN dims,
 * output.dense those columns. LoRA factors are sliced the same way and kept (warm start), their
 * scale alpha/r unchanged; adapters keep their surviving bottleneck units. Masks are reset to 1
 * and frozen. Slicing happens on the host, once.
 */
import type { GpuContext } from '../../gpu/context';
import type { Tensor } from '../../gpu/buffers';
import type { RobertaModel } from '../model/roberta';
import type { AdapterModule, Layer, Linear, LoraModule } from '../model/params';
import { linearsOf } from '../model/params';
import type { PruningPlan } from '../../shared/pruning-plan';

export async function prune(model: RobertaModel, plan: PruningPlan): Promise<void> {
  const { ctx, config } = model;
  if (plan.keptHeads.length !== model.layers.length) throw new Error(`plan has ${plan.keptHeads.length} layers, the model ${model.layers.length}`);
  const kept = new Map(plan.keptModules.map((m) => [m.module, m.keptRanks]));
  for (const layer of model.layers) {
    const heads = plan.keptHeads[layer.index];
    const ffn = plan.keptFfn[layer.index];
    const headRows = heads.flatMap((h) => Array.from({ length: config.headDim }, (_, d) => h * config.headDim + d));
    for (const lin of [layer.query, layer.key, layer.value]) await sliceLinear(ctx, lin, { rows: headRows });
    await sliceLinear(ctx, layer.attentionOutput, { cols: headRows });
    await sliceLinear(ctx, layer.intermediateDense, { rows: ffn });
    await sliceLinear(ctx, layer.outputDense, { cols: ffn });
    for (const lin of linearsOf(layer)) {
      if (!lin.lora) continue;
      const ranks = kept.get(lin.module);
      if (!ranks) {
        disposeLora(lin.lora);
        lin.lora = undefined;
      } else await sliceRanks(ctx, lin.lora, ranks, lin);
    }
    for (const site of ['attentionAdapter', 'outputAdapter'] as const) {
      const adapter = layer[site];
      if (!adapter) continue;
      const units = kept.get(adapter.module);
      if (!units) {
        disposeAdapter(adapter);
        layer[site] = undefined;
      } else await sliceAdapter(ctx, adapter, units, config.hidden);
    }
    resetMasks(ctx, layer, heads.length, ffn.length);
  }
  model.trainMasks = false;
  model.ffnMasksApplied = false; // reset to ones and frozen
}

/** Keeps the given output rows (weight rows, bias entries, LoRA B rows) or input columns (weight and LoRA A columns). */
async function sliceLinear(ctx: GpuContext, lin: Linear, keep: { rows?: number[]; cols?: number[] }): Promise<void> {
  const { inFeatures, outFeatures } = lin;
  if (keep.rows) {
    lin.weight = await replace(ctx, lin.weight, (d) => selectRows(d, inFeatures, keep.rows!), [keep.rows.length, inFeatures]);
    lin.bias = await replace(ctx, lin.bias, (d) => selectRows(d, 1, keep.rows!), [keep.rows.length]);
    if (lin.lora) {
      const r = lin.lora.rank;
      lin.lora.B = await replace(ctx, lin.lora.B, (d) => selectRows(d, r, keep.rows!), [keep.rows.length, r]);
      lin.lora.dB = resized(ctx, lin.lora.dB, [keep.rows.length, r]);
    }
    lin.outFeatures = keep.rows.length;
  }
  if (keep.cols) {
    lin.weight = await replace(ctx, lin.weight, (d) => selectCols(d, inFeatures, keep.cols!), [outFeatures, keep.cols.length]);
    if (lin.lora) {
      const r = lin.lora.rank;
      lin.lora.A = await replace(ctx, lin.lora.A, (d) => selectCols(d, inFeatures, keep.cols!), [r, keep.cols.length]);
      lin.lora.dA = resized(ctx, lin.lora.dA, [r, keep.cols.length]);
    }
    lin.inFeatures = keep.cols.length;
  }
}

/** Keeps LoRA ranks: rows of A, columns of B; the scale alpha/r of the original rank stays. */
async function sliceRanks(ctx: GpuContext, lora: LoraModule, ranks: number[], lin: Linear): Promise<void> {
  if (ranks.length === lora.rank) return;
  lora.A = await replace(ctx, lora.A, (d) => selectRows(d, lin.inFeatures, ranks), [ranks.length, lin.inFeatures]);
  lora.B = await replace(ctx, lora.B, (d) => selectCols(d, lora.rank, ranks), [lin.outFeatures, ranks.length]);
  lora.dA = resized(ctx, lora.dA, [ranks.length, lin.inFeatures]);
  lora.dB = resized(ctx, lora.dB, [lin.outFeatures, ranks.length]);
  lora.rankScore = await replace(ctx, lora.rankScore, (d) => selectRows(d, 1, ranks), [ranks.length]);
  lora.rank = ranks.length;
}

/** Keeps bottleneck units: rows of the down projection, columns of the up projection (no biases to slice). */
async function sliceAdapter(ctx: GpuContext, adapter: AdapterModule, units: number[], hidden: number): Promise<void> {
  const m = adapter.w.size;
  if (units.length === m) return;
  const { w, grads } = adapter;
  w.downWeight = await replace(ctx, w.downWeight, (d) => selectRows(d, hidden, units), [units.length, hidden]);
  w.upWeight = await replace(ctx, w.upWeight, (d) => selectCols(d, m, units), [hidden, units.length]);
  grads.downWeight = resized(ctx, grads.downWeight, [units.length, hidden]);
  grads.upWeight = resized(ctx, grads.upWeight, [hidden, units.length]);
  adapter.rankScore = await replace(ctx, adapter.rankScore, (d) => selectRows(d, 1, units), [units.length]);
  w.size = units.length;
}

function resetMasks(ctx: GpuContext, layer: Layer, heads: number, ffn: number): void {
  for (const t of [layer.headMask, layer.ffnMask, layer.dHeadMask, layer.dFfnMask]) t.dispose();
  layer.headMask = ctx.fromArray(new Float32Array(heads).fill(1), [heads]);
  layer.ffnMask = ctx.fromArray(new Float32Array(ffn).fill(1), [ffn]);
  layer.dHeadMask = ctx.zeros([heads]);
  layer.dFfnMask = ctx.zeros([ffn]);
  layer.heads = heads;
  layer.intermediate = ffn;
}

async function replace(ctx: GpuContext, old: Tensor, slice: (data: Float32Array) => Float32Array, shape: number[]): Promise<Tensor> {
  const next = ctx.fromArray(slice(await ctx.read(old)), shape, old.buffer.label, true);
  old.dispose();
  return next;
}

/** A gradient buffer of the new shape (gradients are zeroed before every step). */
function resized(ctx: GpuContext, old: Tensor, shape: number[]): Tensor {
  old.dispose();
  return ctx.zeros(shape);
}

/** Rows `rows` of a row-major [*, cols] matrix. */
export function selectRows(data: Float32Array, cols: number, rows: number[]): Float32Array {
  const out = new Float32Array(rows.length * cols);
  rows.forEach((r, i) => out.set(data.subarray(r * cols, (r + 1) * cols), i * cols));
  return out;
}

/** Columns `keep` of a row-major [*, cols] matrix. */
export function selectCols(data: Float32Array, cols: number, keep: number[]): Float32Array {
  const rows = data.length / cols;
  const out = new Float32Array(rows * keep.length);
  for (let r = 0; r < rows; r++) keep.forEach((c, i) => (out[r * keep.length + i] = data[r * cols + c]));
  return out;
}

function disposeLora(lora: LoraModule): void {
  for (const t of [lora.A, lora.B, lora.dA, lora.dB, lora.importance, lora.rankScore]) t.dispose();
}

function disposeAdapter(adapter: AdapterModule): void {
  const { w, grads } = adapter;
  for (const t of [w.downWeight, w.upWeight, grads.downWeight, grads.upWeight, adapter.importance, adapter.rankScore]) t.dispose();
}
