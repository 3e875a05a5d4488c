/**
 * An evaluation-mode forward frees each layer's activations as it goes: the same logits as a
 * forward that keeps everything for a backward pass, in less GPU memory, and nothing leaks.
 */
import { describe, expect, it } from 'vitest';
import { gpuContext } from './helpers';
import { parseModelConfig } from '../src/engine/model/config';
import { buildModel } from '../src/engine/model/build';
import { uploadBatch } from '../src/engine/model/batch';
import { tokenizeBatch } from '../src/engine/train/batches';
import { makeFruitExamples, randomWeights, tinyTokenizer } from './synthetic';

describe('evaluation-mode forward', () => {
  it('gives the training-mode logits in less memory and frees everything on release', async () => {
    const ctx = await gpuContext();
    const tokenizer = tinyTokenizer();
    const config = parseModelConfig({
      model_type: 'roberta', vocab_size: tokenizer.vocabSize, hidden_size: 32, num_hidden_layers: 4, num_attention_heads: 4,
      intermediate_size: 128, max_position_embeddings: 40, id2label: { 0: 'a', 1: 'b' },
    });
    const model = await buildModel(ctx, { config, weights: randomWeights(config), peft: { kind: 'adapter', size: 8, activation: 'relu' }, trainMasks: true, seed: 2 });
    const batch = uploadBatch(ctx, tokenizeBatch(tokenizer, makeFruitExamples(12, 3), 30));
    await ctx.sync();
    const peakOf = async (forBackward: boolean) => {
      ctx.pool.trim();
      const before = ctx.pool.inUseBytes;
      ctx.pool.resetPeak();
      const result = model.forward(batch, { forBackward });
      const logits = await ctx.read(result.logits);
      const peak = ctx.pool.peakAllocatedBytes;
      model.release(result);
      expect(ctx.pool.inUseBytes).toBe(before); // released everything it allocated
      return { logits, peak };
    };
    const keeping = await peakOf(true);
    const freeing = await peakOf(false);
    expect(Array.from(freeing.logits)).toEqual(Array.from(keeping.logits));
    // Four layers' activations kept vs about one at a time.
    expect(freeing.peak).toBeLessThan(0.6 * keeping.peak);
    expect(() => model.backward(model.forward(batch, { forBackward: false }), ctx.zeros([12, 2]))).toThrow(/forBackward/);
    batch.dispose();
    model.dispose();
  });
});
