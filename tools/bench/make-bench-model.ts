/**
 * Writes the benchmark model of the transformers.js comparison as one of our model folders:
 * roberta-base wide (hidden 768, 12 heads, FFN 3072, vocab 50265, 514 positions), few layers,
 * seeded random weights (src/engine/model/random-weights.ts, the ones the engine's tests and
 * benchmarks load) plus a seeded random classifier head with 2 labels, so that our engine and the
 * ONNX export (tools/bench/export_onnx.py) run the very same head instead of each making its own.
 *
 *   node --import tsx tools/bench/make-bench-model.ts [OUT] [--layers 2] [--seed 7]
 *
 * OUT defaults to bench/models/roberta-wide-2l (gitignored): config.json + model.safetensors.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseModelConfig } from '../../src/engine/model/config';
import { randomWeightTensors } from '../../src/engine/model/random-weights';
import { CLASSIFIER_TENSORS } from '../../src/engine/model/names';
import { writeSafetensors } from '../../src/engine/io/safetensors';
import { seededRandom } from '../../src/engine/random';

const here = dirname(fileURLToPath(import.meta.url));

/** HF's config.json of a RobertaForSequenceClassification with roberta-base's widths. */
function benchModelConfig(layers: number): Record<string, unknown> {
  return {
    architectures: ['RobertaForSequenceClassification'],
    model_type: 'roberta',
    vocab_size: 50265,
    hidden_size: 768,
    num_hidden_layers: layers,
    num_attention_heads: 12,
    intermediate_size: 3072,
    hidden_act: 'gelu',
    max_position_embeddings: 514,
    type_vocab_size: 1,
    layer_norm_eps: 1e-5,
    pad_token_id: 1,
    bos_token_id: 0,
    eos_token_id: 2,
    hidden_dropout_prob: 0.1,
    attention_probs_dropout_prob: 0.1,
    initializer_range: 0.02,
    id2label: { 0: 'NEGATIVE', 1: 'POSITIVE' },
    label2id: { NEGATIVE: 0, POSITIVE: 1 },
  };
}

function main(argv: string[]): void {
  let out = join(here, '..', '..', 'bench', 'models', 'roberta-wide-2l');
  let layers = 2;
  let seed = 7;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--layers') layers = Number(argv[++i]);
    else if (arg === '--seed') seed = Number(argv[++i]);
    else if (arg.startsWith('--')) throw new Error(`unknown option ${arg} (known: --layers N, --seed N)`);
    else out = arg;
  }
  if (!Number.isInteger(layers) || layers < 1) throw new Error('--layers takes a positive integer');
  if (!Number.isInteger(seed)) throw new Error('--seed takes an integer');
  const json = benchModelConfig(layers);
  const config = parseModelConfig(json);
  const tensors = randomWeightTensors(config, seed);
  // The head at the encoder's scale (1/sqrt(fan-in)) keeps logits O(1), so a wrong result shows.
  const random = seededRandom(seed + 1000);
  const H = config.hidden;
  const C = config.numLabels;
  const head: Array<[string, number[], number]> = [
    [CLASSIFIER_TENSORS.denseWeight, [H, H], 1 / Math.sqrt(H)],
    [CLASSIFIER_TENSORS.denseBias, [H], 0.1],
    [CLASSIFIER_TENSORS.outWeight, [C, H], 1 / Math.sqrt(H)],
    [CLASSIFIER_TENSORS.outBias, [C], 0.1],
  ];
  for (const [name, shape, scale] of head) {
    const n = shape.reduce((a, b) => a * b, 1);
    tensors.push([name, { data: Float32Array.from({ length: n }, () => random.normal() * scale), shape }]);
  }
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'config.json'), JSON.stringify(json, null, 2) + '\n');
  writeFileSync(join(out, 'model.safetensors'), writeSafetensors(tensors, { format: 'pt' }));
  const params = tensors.reduce((n, [, t]) => n + t.data.length, 0);
  console.error(`wrote ${out}: ${layers} layers × hidden ${H}, ${(params / 1e6).toFixed(1)}M parameters, seed ${seed}`);
}

main(process.argv.slice(2));
