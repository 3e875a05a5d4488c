/**
 * light-peft train: fine-tune a model on a dataset and write the adapter, a report and the curves.
 * Methods: `lora` (LoRA or, with --peft adapter, bottleneck adapters) on a frozen base.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { INTEGER, integerAtLeast, integerBetween, NON_NEGATIVE, NON_NEGATIVE_INTEGER, numberOption, parseOptions, POSITIVE, POSITIVE_INTEGER, requireOption } from './args';
import { TRAIN_USAGE } from './usage';
import { UsageError } from './errors';
import { RATIO_OPTIONS, ratiosFromOptions } from './ratios';
import { modelReader } from './model-source';
import { readDatasetFile } from './data';
import { acquireNodeGpu } from '../engine/gpu/node-gpu';
import { GpuContext } from '../engine/gpu/context';
import { readModelDir } from '../engine/io/model-dir';
import { readTokenizerDir } from '../engine/io/tokenizer-dir';
import { checkTokenizerFitsModel } from '../engine/io/tokenizer';
import { exportPeftAdapter, exportPrunedModel } from '../engine/io/export';
import { buildModel } from '../engine/model/build';
import { parseLoraTargets, type PeftConfig } from '../engine/model/peft';
import { prepareTask } from '../engine/train/task';
import { evaluate, train, type EvalLog, type StepLog, type TrainHooks, type TrainSettings } from '../engine/train/trainer';
import { evaluationsCsv, lossCurveCsv } from '../engine/train/curves-csv';
import { phaseReport, runLightPeft } from '../engine/lightpeft/pipeline';
import { scoresToSafetensors } from '../engine/lightpeft/scores';

export const OPTIONS = {
  model: { type: 'string' },
  revision: { type: 'string' },
  'hf-token': { type: 'string' },
  data: { type: 'string' },
  'eval-data': { type: 'string' },
  'text-column': { type: 'string' },
  'text-pair-column': { type: 'string' },
  'label-column': { type: 'string' },
  method: { type: 'string' },
  peft: { type: 'string' },
  'lora-r': { type: 'string' },
  'lora-alpha': { type: 'string' },
  'lora-targets': { type: 'string' },
  'adapter-size': { type: 'string' },
  steps: { type: 'string' },
  epochs: { type: 'string' },
  'batch-size': { type: 'string' },
  lr: { type: 'string' },
  'warmup-ratio': { type: 'string' },
  'weight-decay': { type: 'string' },
  'max-length': { type: 'string' },
  'validation-fraction': { type: 'string' },
  'log-every': { type: 'string' },
  'eval-every': { type: 'string' },
  'max-grad-norm': { type: 'string' },
  'no-dropout': { type: 'boolean' },
  'estimate-steps': { type: 'string' },
  'lambda-head': { type: 'string' },
  'lambda-ffn': { type: 'string' },
  'mask-lr-multiplier': { type: 'string' },
  ...RATIO_OPTIONS,
  seed: { type: 'string' },
  out: { type: 'string' },
} as const;

const METHODS = ['lora', 'light-peft'];
/** Light-PEFT puts PEFT on all six linear layers by default (the baseline: query,value). */
const LIGHT_PEFT_TARGETS = 'query,key,value,attention.output.dense,intermediate.dense,output.dense';

export async function trainCommand(args: string[]): Promise<void> {
  const o = parseOptions(args, OPTIONS, 'train', TRAIN_USAGE);
  const modelDir = requireOption(o.model, 'model', 'train');
  const dataFile = requireOption(o.data, 'data', 'train');
  const outDir = requireOption(o.out, 'out', 'train');
  const method = o.method ?? 'lora';
  if (!METHODS.includes(method)) throw new UsageError(`train: unknown --method "${method}"; methods: ${METHODS.join(', ')}`);
  const seed = numberOption(o.seed, 'seed', 0, INTEGER);
  const lightPeft = method === 'light-peft';
  const peft = peftFromOptions({ ...o, 'lora-targets': o['lora-targets'] ?? (lightPeft ? LIGHT_PEFT_TARGETS : undefined) });

  const { reader, hubId } = modelReader(modelDir, 'train', { revision: o.revision, token: o['hf-token'] });
  const { config: baseConfig, weights } = await readModelDir(reader);
  const tokenizer = await readTokenizerDir(reader);
  checkTokenizerFitsModel(tokenizer, baseConfig);
  const task = prepareTask({
    config: baseConfig,
    hasHead: weights.has('classifier.out_proj.weight'),
    train: await readDatasetFile(dataFile),
    validation: o['eval-data'] ? await readDatasetFile(o['eval-data']) : undefined,
    columns: { text: o['text-column'], textPair: o['text-pair-column'], label: o['label-column'] },
    validationFraction: numberOption(o['validation-fraction'], 'validation-fraction', 0.1, { test: (n) => n > 0 && n < 1, says: 'a number between 0 and 1 (e.g. 0.1)' }),
    seed,
  });
  for (const w of task.warnings) process.stderr.write(`warning: ${w}\n`);

  const batchSize = numberOption(o['batch-size'], 'batch-size', 32, POSITIVE_INTEGER);
  if (o.steps && o.epochs) throw new UsageError('train: give --steps or --epochs, not both');
  const epochs = numberOption(o.epochs, 'epochs', 1, POSITIVE);
  const steps = o.steps ? numberOption(o.steps, 'steps', 0, POSITIVE_INTEGER) : Math.ceil((epochs * task.train.length) / batchSize);
  const settings: TrainSettings = {
    steps,
    batchSize,
    maxLength: numberOption(o['max-length'], 'max-length', 128, integerAtLeast(3)),
    seed,
    lr: numberOption(o.lr, 'lr', 3e-4, POSITIVE),
    warmupRatio: numberOption(o['warmup-ratio'], 'warmup-ratio', 0.06, { test: (n) => Number.isFinite(n) && n >= 0 && n < 1, says: 'a number from 0 to below 1' }),
    weightDecay: numberOption(o['weight-decay'], 'weight-decay', 0.01, NON_NEGATIVE),
    maskLrMultiplier: numberOption(o['mask-lr-multiplier'], 'mask-lr-multiplier', 1, POSITIVE),
    lambdaHead: lightPeft ? numberOption(o['lambda-head'], 'lambda-head', 1e-4, NON_NEGATIVE) : 0,
    lambdaFfn: lightPeft ? numberOption(o['lambda-ffn'], 'lambda-ffn', 1e-4, NON_NEGATIVE) : 0,
    dropout: !o['no-dropout'],
    logEvery: numberOption(o['log-every'], 'log-every', 10, POSITIVE_INTEGER),
    // Hugging Face's Trainer clips at 1.0 by default (the paper's code runs on it); 0 turns it off.
    maxGradNorm: numberOption(o['max-grad-norm'], 'max-grad-norm', 1, { ...NON_NEGATIVE, says: 'a number of at least 0 (0: no clipping)' }),
    evalEvery: numberOption(o['eval-every'], 'eval-every', 0, NON_NEGATIVE_INTEGER),
  };
  const maxPositions = task.config.maxPositions - task.config.padTokenId - 1;
  if (settings.maxLength > maxPositions) throw new UsageError(`train: --max-length ${settings.maxLength} exceeds the model's ${maxPositions} positions`);

  const ctx = new GpuContext(await acquireNodeGpu());
  const model = await buildModel(ctx, { config: task.config, weights, peft, trainMasks: false, seed });
  await mkdir(join(outDir, 'adapter'), { recursive: true }); // before training: an unwritable --out fails fast
  const baseParams = model.baseParameterCount();
  const trainableBefore = model.trainableParameterCount();
  const peftBefore = model.trainableParameterCount(['peft']);
  const progress = progressPrinter(steps);
  const evaluation: TrainHooks['evaluation'] = { examples: task.validation, onResult: progress.evaluation };
  let training: Record<string, unknown>;
  let logs: StepLog[];
  let evaluations: EvalLog[];
  let lightPeftReport: Record<string, unknown> | null = null;
  if (lightPeft) {
    const ratios = ratiosFromOptions(o, 'train');
    const estimateSteps = numberOption(o['estimate-steps'], 'estimate-steps', Math.min(800, Math.floor(steps / 2)), integerBetween(1, steps - 1, ', below --steps'));
    const result = await runLightPeft(model, tokenizer, task.train, { ...settings, estimateSteps, ratios }, progress, { evaluation });
    logs = [...result.estimation.loss, ...result.training.loss];
    evaluations = [...result.estimation.evaluations, ...result.training.evaluations];
    training = { estimation: result.estimation, training: result.training };
    await writeFile(join(outDir, 'scores.safetensors'), scoresToSafetensors(result.scores));
    // The pruned model as a checkpoint folder the app and this CLI load (with the tokenizer), plus pruning.json.
    await mkdir(join(outDir, 'pruned-model'), { recursive: true });
    for (const file of await exportPrunedModel(model, result.plan)) await writeFile(join(outDir, 'pruned-model', file.name), file.bytes);
    for (const name of ['tokenizer.json', 'tokenizer_config.json', 'vocab.json', 'merges.txt']) {
      const bytes = await reader.read(name);
      if (bytes) await writeFile(join(outDir, 'pruned-model', name), bytes);
    }
    const { predicted, ...plan } = result.plan;
    lightPeftReport = {
      plan,
      predicted,
      parameters: {
        base: { before: baseParams, after: model.baseParameterCount() },
        trainable: { before: trainableBefore, after: model.trainableParameterCount() },
        peft: { before: peftBefore, after: model.trainableParameterCount(['peft']) },
      },
      inference: result.inference,
      gpuBytes: result.gpuBytes,
      scores: 'scores.safetensors',
      prunedModel: 'pruned-model/',
    };
  } else {
    ctx.pool.resetPeak();
    const run = await train(model, tokenizer, task.train, settings, progress, undefined, undefined, { evaluation });
    logs = run.logs;
    evaluations = [...run.evals]; // the final evaluation is appended below, not to the phase's list
    training = { training: phaseReport(run, steps, ctx.pool.peakAllocatedBytes) };
  }
  progress.done();
  const start = performance.now();
  const metrics = await evaluate(model, tokenizer, task.validation, { batchSize: 64, maxLength: settings.maxLength });
  const evalSeconds = (performance.now() - start) / 1000;
  const { predictions, ...evaluationMetrics } = metrics;
  evaluations.push({ step: steps, ...evaluationMetrics, seconds: evalSeconds });

  for (const file of await exportPeftAdapter(model, { baseModel: hubId ?? modelDir, revision: hubId ? o.revision : undefined })) await writeFile(join(outDir, 'adapter', file.name), file.bytes);
  const report = {
    command: 'train',
    model: modelDir,
    data: { train: dataFile, validation: o['eval-data'] ?? null, columns: task.columns, trainExamples: task.train.length, validationExamples: task.validation.length, labels: task.config.id2label },
    method,
    peft,
    settings,
    // trainable = PEFT modules + classifier head (+ Light-PEFT's masks before pruning); peft = the modules alone.
    parameters: { base: baseParams, trainable: trainableBefore, peft: peftBefore },
    ...training,
    lightPeft: lightPeftReport,
    evaluation: { ...evaluationMetrics, seconds: evalSeconds },
    evaluations,
    adapter: 'adapter/',
  };
  await writeFile(join(outDir, 'report.json'), JSON.stringify(report, null, 2) + '\n');
  await writeFile(join(outDir, 'curves.csv'), lossCurveCsv(logs));
  await writeFile(join(outDir, 'evaluations.csv'), evaluationsCsv(evaluations));
  process.stdout.write(
    `validation accuracy ${(metrics.accuracy * 100).toFixed(1)}%, macro-F1 ${metrics.macroF1.toFixed(3)}` +
      (metrics.mcc !== null ? `, MCC ${metrics.mcc.toFixed(3)}` : '') +
      ` on ${metrics.count} examples; wrote ${outDir}/report.json, curves.csv, evaluations.csv, adapter/${lightPeft ? ', scores.safetensors, pruned-model/' : ''}\n`,
  );
}

function peftFromOptions(o: { peft?: string; 'lora-r'?: string; 'lora-alpha'?: string; 'lora-targets'?: string; 'adapter-size'?: string }): PeftConfig {
  const kind = o.peft ?? 'lora';
  if (kind === 'adapter') {
    return { kind: 'adapter', size: numberOption(o['adapter-size'], 'adapter-size', 64, POSITIVE_INTEGER), activation: 'relu' };
  }
  if (kind !== 'lora') throw new UsageError(`train: unknown --peft "${kind}"; choose lora or adapter`);
  let targets;
  try {
    targets = parseLoraTargets(o['lora-targets'] ?? 'query,value');
  } catch (e) {
    throw new UsageError(`train: --lora-targets: ${(e as Error).message}`);
  }
  return { kind: 'lora', rank: numberOption(o['lora-r'], 'lora-r', 8, POSITIVE_INTEGER), alpha: numberOption(o['lora-alpha'], 'lora-alpha', 16, POSITIVE), targets };
}

/** A one-line progress bar on a terminal (a line per log step otherwise), and a line per evaluation. */
function progressPrinter(total: number): ((log: StepLog, phase?: string) => void) & { done(): void; evaluation(log: EvalLog): void } {
  const tty = process.stderr.isTTY;
  const print = (log: StepLog, phase?: string) => {
    const width = 24;
    const filled = Math.round((width * log.step) / total);
    const line = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${phase ? `${phase} ` : ''}step ${log.step}/${total} loss ${log.loss.toFixed(4)}${log.gradNorm !== undefined ? ` grad norm ${log.gradNorm.toFixed(2)}` : ''} lr ${log.lr.toExponential(2)} ${log.seconds.toFixed(0)} s`;
    process.stderr.write(tty ? `\r${line}` : `${line}\n`);
  };
  const evaluation = (e: EvalLog) =>
    process.stderr.write(`${tty ? '\n' : ''}evaluation at step ${e.step}: loss ${e.loss.toFixed(4)}, accuracy ${(e.accuracy * 100).toFixed(1)}%, macro-F1 ${e.macroF1.toFixed(3)}${e.mcc !== null ? `, MCC ${e.mcc.toFixed(3)}` : ''}\n`);
  return Object.assign(print, { done: () => tty && process.stderr.write('\n'), evaluation });
}
