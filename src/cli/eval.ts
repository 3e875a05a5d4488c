/** light-peft eval: metrics of a model (+ an HF PEFT adapter) on a dataset, printed as JSON. */
import { integerAtLeast, numberOption, parseOptions, POSITIVE_INTEGER, requireOption } from './args';
import { EVAL_USAGE } from './usage';
import { nodeDirReader } from '../platform/node/dir-reader';
import { modelReader } from './model-source';
import { readDatasetFile } from './data';
import { acquireNodeGpu } from '../platform/node/gpu';
import { GpuContext } from '../gpu/context';
import { readModelDir, readPeftDir } from '../engine/model/model-dir';
import { readTokenizerDir } from '../engine/io/tokenizer-dir';
import { checkTokenizerFitsModel } from '../engine/io/tokenizer';
import { buildExamples, guessColumns } from '../engine/io/datasets';
import { buildModel } from '../engine/model/build';
import type { WeightSource } from '../engine/model/weights';
import type { PeftConfig } from '../engine/model/peft';
import { CLASSIFIER_TENSORS, peftModelName } from '../engine/model/names';
import { evaluate } from '../engine/train/trainer';
import { BadInputError } from '../errors';

export const OPTIONS = {
  model: { type: 'string' },
  revision: { type: 'string' },
  'hf-token': { type: 'string' },
  adapter: { type: 'string' },
  data: { type: 'string' },
  'text-column': { type: 'string' },
  'text-pair-column': { type: 'string' },
  'label-column': { type: 'string' },
  'max-length': { type: 'string' },
  'batch-size': { type: 'string' },
} as const;

export async function evalCommand(args: string[]): Promise<void> {
  const o = parseOptions(args, OPTIONS, 'eval', EVAL_USAGE);
  const modelDir = requireOption(o.model, 'model', 'eval');
  const dataFile = requireOption(o.data, 'data', 'eval');
  const { reader } = modelReader(modelDir, 'eval', { revision: o.revision, token: o['hf-token'] });
  const { config, weights } = await readModelDir(reader);
  const tokenizer = await readTokenizerDir(reader);
  checkTokenizerFitsModel(tokenizer, config);
  let peft: PeftConfig = { kind: 'lora', rank: 1, alpha: 1, targets: [] };
  let peftInit: WeightSource | undefined;
  let adapterLabels: string[] | undefined;
  if (o.adapter) ({ peft, init: peftInit, labels: adapterLabels } = await readPeftDir(nodeDirReader(o.adapter)));
  const hasHead = weights.has(CLASSIFIER_TENSORS.outWeight) || Boolean(peftInit?.has(peftModelName(CLASSIFIER_TENSORS.outWeight)));
  if (!hasHead) throw new BadInputError(modelDir, null, 'has no trained classification head (classifier.*) and no --adapter brings one; evaluate a fine-tuned model or pass its adapter');
  const table = await readDatasetFile(dataFile);
  const guess = guessColumns(table);
  const columns = { text: o['text-column'] ?? guess.text, textPair: o['text-pair-column'] ?? guess.textPair, label: o['label-column'] ?? guess.label };
  const labels = adapterLabels ?? config.id2label;
  const { examples } = buildExamples(table, columns, { labelNames: labels });
  const ctx = new GpuContext(await acquireNodeGpu());
  const model = await buildModel(ctx, { config: { ...config, id2label: labels, numLabels: labels.length }, weights, peft, peftInit, trainMasks: false });
  const maxLength = numberOption(o['max-length'], 'max-length', 128, integerAtLeast(3));
  const { predictions, ...metrics } = await evaluate(model, tokenizer, examples, { batchSize: numberOption(o['batch-size'], 'batch-size', 64, POSITIVE_INTEGER), maxLength });
  process.stdout.write(JSON.stringify({ data: dataFile, columns, labels, ...metrics, predicted: countBy(predictions, labels) }, null, 2) + '\n');
}

function countBy(predictions: number[], labels: string[]): Record<string, number> {
  const counts: Record<string, number> = Object.fromEntries(labels.map((l) => [l, 0]));
  for (const p of predictions) counts[labels[p]]++;
  return counts;
}
