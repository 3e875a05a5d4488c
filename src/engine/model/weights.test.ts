import { describe, expect, it } from 'vitest';
import { BadInputError } from '../../errors';
import { countingSource } from '../../../test/helpers';
import { writeSafetensors } from '../io/safetensors';
import { WeightSource } from './weights';

const t = (...values: number[]) => ({ data: Float32Array.from(values), shape: [values.length] });

describe('WeightSource.read', () => {
  it('finds base-model tensors saved without the roberta. prefix or with LayerNorm gamma/beta', async () => {
    const weights = WeightSource.fromBytes([
      {
        file: 'model.safetensors',
        bytes: writeSafetensors([
          ['embeddings.word_embeddings.weight', t(1, 2)],
          ['encoder.layer.0.output.LayerNorm.gamma', t(3)],
          ['roberta.encoder.layer.0.output.LayerNorm.beta', t(4)],
        ]),
      },
    ]);
    expect([...(await weights.read('roberta.embeddings.word_embeddings.weight', [2])).data]).toEqual([1, 2]);
    expect([...(await weights.read('roberta.encoder.layer.0.output.LayerNorm.weight', [1])).data]).toEqual([3]);
    expect([...(await weights.read('roberta.encoder.layer.0.output.LayerNorm.bias', [1])).data]).toEqual([4]);
    // Only base-model names fall back: the classifier is never taken from another name.
    await expect(weights.read('classifier.dense.weight', [1])).rejects.toThrow(/classifier\.dense\.weight.*is missing/);
  });

  it('prefers the exact name when both are stored', async () => {
    const weights = WeightSource.fromBytes([
      { file: 'm.safetensors', bytes: writeSafetensors([['embeddings.x', t(1)], ['roberta.embeddings.x', t(2)]]) },
    ]);
    expect([...(await weights.read('roberta.embeddings.x', [1])).data]).toEqual([2]);
  });

  it('rejects a shape that disagrees with config.json before reading the tensor', async () => {
    const source = countingSource(writeSafetensors([['roberta.embeddings.x', t(1, 2, 3)]]), 'model.safetensors');
    const weights = await WeightSource.open([source]);
    const error = await weights.read('roberta.embeddings.x', [2]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BadInputError);
    expect((error as Error).message).toBe(
      'model.safetensors (tensor roberta.embeddings.x): has shape [3] but config.json implies [2]; use the config.json that came with these weights',
    );
    expect(source.dataReads).toBe(0);
    await weights.read('roberta.embeddings.x', [3]);
    expect(source.dataReads).toBe(1);
  });
});
