/** config.json parsing: odd values found by src/engine/io/model-files.property.test.ts, kept as examples. */
import { describe, expect, it } from 'vitest';
import { BadInputError } from '../../errors';
import { parseModelConfig } from './config';

const base = { model_type: 'roberta', vocab_size: 50, hidden_size: 8, num_attention_heads: 2, num_hidden_layers: 1, intermediate_size: 16, max_position_embeddings: 34 };

/** The BadInputError parsing `overrides` over a valid config throws (JSON round trip, as from a file). */
function badConfig(overrides: Record<string, unknown>): BadInputError {
  try {
    parseModelConfig(JSON.parse(JSON.stringify({ ...base, ...overrides })), 'm/config.json');
  } catch (e) {
    expect(e).toBeInstanceOf(BadInputError);
    return e as BadInputError;
  }
  throw new Error('expected a BadInputError');
}

describe('parseModelConfig', () => {
  it('reads XLM-RoBERTa and CamemBERT configs, whose weights have RoBERTa\'s names and shapes', () => {
    // Abridged from FacebookAI/xlm-roberta-base and almanach/camembert-base.
    const xlmr = { ...base, model_type: 'xlm-roberta', vocab_size: 250002, hidden_size: 768, num_attention_heads: 12, num_hidden_layers: 12, intermediate_size: 3072, max_position_embeddings: 514 };
    expect(parseModelConfig(xlmr)).toMatchObject({ modelType: 'xlm-roberta', vocabSize: 250002, headDim: 64, padTokenId: 1, typeVocabSize: 1 });
    const camembert = { ...xlmr, model_type: 'camembert', vocab_size: 32005, type_vocab_size: 1 };
    expect(parseModelConfig(camembert)).toMatchObject({ modelType: 'camembert', vocabSize: 32005 });
  });

  it('reads a minimal config with default labels', () => {
    expect(parseModelConfig(base)).toMatchObject({ modelType: 'roberta', hidden: 8, heads: 2, headDim: 4, layers: 1, numLabels: 2, id2label: ['LABEL_0', 'LABEL_1'] });
  });

  it('rejects objects where names belong, even ones with a "toString" key (was a TypeError)', () => {
    expect(badConfig({ model_type: { toString: '' } }).message).toBe('m/config.json: unsupported model type {"toString":""}; supported: roberta, xlm-roberta, camembert; use a RoBERTa-family checkpoint such as FacebookAI/roberta-base');
    expect(badConfig({ model_type: ['roberta'] }).message).toMatch(/unsupported model type \["roberta"\]/);
    expect(badConfig({ hidden_act: { toString: [] } }).message).toBe('m/config.json: hidden_act {"toString":[]} is not supported; only "gelu" (exact erf) is');
    expect(badConfig({ id2label: { 0: 'neg', 1: { toString: 1 } } }).message).toBe(
      'm/config.json: id2label["1"] must be a label name, got {"toString":1}; use the config.json that came with the model',
    );
  });

  it('reads id2label keys as own keys only, and numeric label names as text', () => {
    expect(badConfig({ id2label: { 1: 'a', constructor: 'b' } }).message).toMatch(/id2label must have keys 0\.\.1; key "0" is missing/);
    expect(parseModelConfig({ ...base, id2label: { 0: 0, 1: 1 } }).id2label).toEqual(['0', '1']);
  });

  it('bounds num_hidden_layers and num_labels', () => {
    expect(badConfig({ num_hidden_layers: 1e9 }).message).toMatch(/"num_hidden_layers" must be from 1 to 1000, got 1000000000/);
    expect(badConfig({ num_labels: 2 ** 32 }).message).toMatch(/"num_labels" must be an integer from 2 to 100000, got 4294967296/);
    expect(badConfig({ num_labels: 2.5 }).message).toMatch(/"num_labels" must be an integer/);
  });
});
