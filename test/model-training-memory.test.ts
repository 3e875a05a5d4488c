/**
 * A forward for backward keeps only what the backward pass reads: with LoRA on query and value
 * (the baseline), the context, the FFN's input and its GELU output, and every dense output go back
 * to the pool during the forward. The list below is exactly what stays, so a tensor kept by mistake
 * (or freed by mistake: the PyTorch fixtures then fail) shows here.
 */
import { describe, expect, it } from 'vitest';
import { gpuContext } from './helpers';
import { bucketSize } from '../src/gpu/buffers';
import { parseModelConfig } from '../src/engine/model/config';
import { buildModel } from '../src/engine/model/build';
import type { PeftConfig } from '../src/engine/model/peft';
import { uploadBatch } from '../src/engine/model/batch';
import { tokenizeBatch } from '../src/engine/train/batches';
import { makeFruitExamples, randomWeights, tinyTokenizer } from './synthetic';

describe('forward for backward', () => {
  it('keeps only the activations backward reads', async () => {
    const ctx = await gpuContext();
    const tokenizer = tinyTokenizer();
    const [B, T, H, I, heads, layers, rank, classes] = [6, 24, 32, 128, 4, 2, 4, 2];
    const config = parseModelConfig({
      model_type: 'roberta', vocab_size: tokenizer.vocabSize, hidden_size: H, num_hidden_layers: layers, num_attention_heads: heads,
      intermediate_size: I, max_position_embeddings: 40, id2label: { 0: 'a', 1: 'b' },
    });
    const peft: PeftConfig = { kind: 'lora', rank, alpha: 8, dropout: 0, targets: ['query', 'value'] };
    const model = await buildModel(ctx, { config, weights: randomWeights(config), peft, trainMasks: false, seed: 2 });
    const batch = uploadBatch(ctx, tokenizeBatch(tokenizer, makeFruitExamples(B, 3), T));
    expect(batch.seqLen).toBe(T);
    await ctx.sync();
    const R = B * T;
    const held = (...shapes: number[][]) => shapes.reduce((n, s) => n + 4 * s.reduce((a, b) => a * b, 1), 0);
    const perLayer = held(
      [R, H], [R, H], [R, H], // query, key, value outputs (attention's backward)
      [R, rank], [R, rank], // LoRA u of query and value (dB)
      [B * heads * T * T], // probabilities
      [R, H], [R], [R], // attention output: LayerNorm input, mean, rstd
      [R, I], // GELU's input
      [R, H], [R], [R], [R, H], // FFN output: LayerNorm input, mean, rstd, and the output (a hidden state)
    );
    const embeddings = held([R, H], [R, H], [R], [R]);
    const head = held([B, classes], [B, H], [B, H], [B, H]);
    const before = ctx.pool.inUseBytes;
    const result = model.forward(batch, { forBackward: true });
    await ctx.read(result.logits);
    const keptTensors = result.owned.filter((t) => !t.isDisposed);
    expect(keptTensors.reduce((n, t) => n + t.byteLength, 0)).toBe(embeddings + layers * perLayer + head);
    // The pool agrees that nothing else is held: their buckets, or a free buffer up to 1.25× larger.
    const buckets = keptTensors.reduce((n, t) => n + bucketSize(t.byteLength), 0);
    expect(ctx.pool.inUseBytes - before).toBeGreaterThanOrEqual(buckets);
    expect(ctx.pool.inUseBytes - before).toBeLessThanOrEqual(1.25 * buckets);
    model.release(result);
    expect(ctx.pool.inUseBytes).toBe(before);
    batch.dispose();
    model.dispose();
  });
});
