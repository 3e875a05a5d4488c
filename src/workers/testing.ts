/**
 * A tiny random RoBERTa whose vocabulary fits test/fixtures/tokenizer-tiny (400 tokens), built in
 * memory: for worker tests and the browser test, so the tokenize check runs on a real tokenizer
 * even where the demo model is not built. Not used by the app.
 */
import { writeSafetensors } from '../engine/io/safetensors';
import { parseModelConfig } from '../engine/model/config';
import { randomWeightTensors } from '../engine/model/random-weights';

export const TINY_VOCAB = 400;

export interface TinyModelFiles {
  config: Record<string, unknown>;
  configJson: Uint8Array;
  safetensors: Uint8Array;
  /** The same weights in two shards with their model.safetensors.index.json. */
  sharded: { name: string; bytes: Uint8Array }[];
}

export function tinyModelFiles(options: { vocab?: number; hidden?: number; layers?: number; heads?: number; intermediate?: number; maxPositions?: number } = {}): TinyModelFiles {
  const V = options.vocab ?? TINY_VOCAB;
  const config = {
    architectures: ['RobertaForSequenceClassification'],
    model_type: 'roberta',
    vocab_size: V,
    hidden_size: options.hidden ?? 8,
    num_hidden_layers: options.layers ?? 1,
    num_attention_heads: options.heads ?? 2,
    intermediate_size: options.intermediate ?? 16,
    hidden_act: 'gelu',
    max_position_embeddings: options.maxPositions ?? 66,
    type_vocab_size: 1,
    layer_norm_eps: 1e-5,
    pad_token_id: 1,
    id2label: { 0: 'ham', 1: 'spam' },
  };
  const tensors = randomWeightTensors(parseModelConfig(config));
  const half = Math.ceil(tensors.length / 2);
  const shardNames = ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors'];
  const weightMap = Object.fromEntries(tensors.map(([name], i) => [name, shardNames[i < half ? 0 : 1]]));
  const sharded = [
    { name: 'model.safetensors.index.json', bytes: new TextEncoder().encode(JSON.stringify({ metadata: {}, weight_map: weightMap })) },
    { name: shardNames[0], bytes: writeSafetensors(tensors.slice(0, half)) },
    { name: shardNames[1], bytes: writeSafetensors(tensors.slice(half)) },
  ];
  return { config, configJson: new TextEncoder().encode(JSON.stringify(config)), safetensors: writeSafetensors(tensors), sharded };
}
