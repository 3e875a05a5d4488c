/**
 * The word embeddings stay in host memory (src/engine/model/host-table.ts): a model's GPU memory
 * does not grow with its vocabulary, in a training step or a forward, and the rows a batch
 * gathers are the table's rows for its ids. (The logits against PyTorch, in
 * reference-fixtures.test.ts, hold the whole path to the reference.)
 */
import { describe, expect, it } from 'vitest';
import { gpuContext } from './helpers';
import { parseModelConfig } from '../src/engine/model/config';
import { buildModel } from '../src/engine/model/build';
import { uploadBatch } from '../src/engine/model/batch';
import { gradientStep } from '../src/engine/train/step';
import { gatherRows, hostTable } from '../src/engine/model/host-table';
import { randomWeights } from './synthetic';

describe('gatherRows', () => {
  const table = hostTable(Float32Array.from({ length: 12 }, (_, i) => i), 4, 3);

  it("gives each id's row, in the ids' order", () => {
    expect(Array.from(gatherRows(table, Int32Array.from([2, 0, 2, 3])))).toEqual([6, 7, 8, 0, 1, 2, 6, 7, 8, 9, 10, 11]);
  });

  it('refuses an id outside the table instead of reading past it', () => {
    expect(() => gatherRows(table, Int32Array.from([1, 4]))).toThrow(/id 4 at position 1 is outside the table's 4 rows/);
    expect(() => gatherRows(table, Int32Array.from([-1]))).toThrow(/outside/);
  });

  it('keeps its own copy of a view, so a whole weights file is not kept alive by it', () => {
    const file = new Float32Array(100);
    const view = file.subarray(10, 22);
    expect(hostTable(view, 4, 3).data.buffer).not.toBe(file.buffer);
  });
});

describe('a model on the GPU', () => {
  it('takes the same GPU memory whatever its vocabulary size', async () => {
    const ctx = await gpuContext();
    const gpuBytes = async (vocab: number) => {
      const config = parseModelConfig({
        model_type: 'roberta', vocab_size: vocab, hidden_size: 32, num_hidden_layers: 1, num_attention_heads: 2,
        intermediate_size: 64, max_position_embeddings: 20, id2label: { 0: 'a', 1: 'b' },
      });
      await ctx.sync();
      ctx.pool.trim();
      const before = ctx.pool.inUseBytes;
      ctx.pool.resetPeak();
      const model = await buildModel(ctx, { config, weights: randomWeights(config), peft: { kind: 'lora', rank: 2, alpha: 4, targets: ['query', 'value'] }, trainMasks: false, seed: 1 });
      const ids = [[0, 5, 17, vocab - 1, 2], [0, 9, vocab - 2, 2, 1]];
      const batch = uploadBatch(ctx, { inputIds: ids, attentionMask: ids.map((r) => r.map((id) => (id === 1 ? 0 : 1))), labels: [0, 1] });
      const step = gradientStep(model, batch, { lambdaHead: 0, lambdaFfn: 0 });
      const loss = (await ctx.read(step.totalLoss))[0];
      step.release();
      const forward = model.forward(batch, { forBackward: false });
      await ctx.read(forward.logits);
      model.release(forward);
      const result = { held: ctx.pool.inUseBytes - before, peak: ctx.pool.peakInUseBytes - before, loss, wordTable: model.embeddings.word.data.byteLength };
      batch.dispose();
      model.dispose();
      return result;
    };
    const small = await gpuBytes(50);
    const large = await gpuBytes(20_000);
    expect(large.wordTable).toBe(20_000 * 32 * 4); // 2.4 MiB, far more than the rest of this model
    expect(Number.isFinite(large.loss)).toBe(true);
    expect(large.held).toBe(small.held);
    expect(large.peak).toBe(small.peak);
  });
});
