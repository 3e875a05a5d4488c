/**
 * An evaluation-mode forward frees each layer's activations as it goes: the same logits as a
 * forward that keeps everything for a backward pass, in less GPU memory, and nothing leaks.
 */
import { describe, expect, it } from 'vitest';
import { gpuContext } from './helpers';
import { bucketSize } from '../src/gpu/buffers';
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

  it('holds one block of one layer at a time, with GELU in the intermediate matmul', async () => {
    const ctx = await gpuContext();
    const tokenizer = tinyTokenizer();
    // A wide FFN (I = 16 H) and long attention probabilities (heads · T = 3.75 H per token), so
    // either block alone is far below the two together, and GELU's second [N, I] tensor shows.
    const H = 32;
    const I = 16 * H;
    const config = parseModelConfig({
      model_type: 'roberta', vocab_size: tokenizer.vocabSize, hidden_size: H, num_hidden_layers: 2, num_attention_heads: 4,
      intermediate_size: I, max_position_embeddings: 40, id2label: { 0: 'a', 1: 'b' },
    });
    const model = await buildModel(ctx, { config, weights: randomWeights(config), peft: { kind: 'lora', rank: 4, alpha: 8, targets: ['query', 'value'] }, trainMasks: false, seed: 2 });
    const batch = uploadBatch(ctx, tokenizeBatch(tokenizer, makeFruitExamples(12, 3), 30));
    const N = batch.batch * batch.seqLen;
    await ctx.sync();
    ctx.pool.trim();
    const before = ctx.pool.inUseBytes;
    ctx.pool.resetPeak();
    const result = model.forward(batch, { forBackward: false });
    await ctx.read(result.logits);
    const activations = ctx.pool.peakInUseBytes - before;
    model.release(result);
    // The FFN block's peak: the GELU'd intermediate [N, I], four [N, H] tensors (its input, the
    // dense output, the residual sum, the LayerNorm output) and two [N] statistics: below one
    // [N, I] and six [N, H] buffers. Keeping the attention block's tensors meanwhile (Q, K, V, the
    // probabilities, the context: 7.75 N·H more here), or GELU's input beside its output (16 N·H),
    // goes past that.
    const hiddenBuffer = bucketSize(N * H * 4);
    console.log(`evaluation forward: its peak is ${(activations / hiddenBuffer).toFixed(1)} [N, H] buffers`);
    expect(activations).toBeLessThan(bucketSize(N * I * 4) + 6 * hiddenBuffer);
    batch.dispose();
    model.dispose();
  });
});
