/**
 * light-peft train: fine-tune a model on a dataset and write the adapter, a report and the curves.
 * Methods: `lora` (LoRA or, with --peft adapter, bottleneck adapters) on a frozen base, and
 * `light-peft` (estimation, pruning, then training the pruned model). A thin loop over the
 * engine's TrainingRun / LightPeftRun; defaults and option rules are the engine's.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseOptions, requireOption, settingOption } from './args';
import { TRAIN_USAGE } from './usage';
import { UsageError } from './errors';
import { RATIO_OPTIONS, ratiosFromOptions } from './ratios';
import { modelReader } from './model-source';
import { readDatasetFile } from './data';
import { progressPrinter } from './train-progress';
import { acquireNodeGpu } from '../platform/node/gpu';
import { GpuContext } from '../gpu/context';
import { readModelDir } from '../engine/model/model-dir';
import { readTokenizerDir } from '../engine/io/tokenizer-dir';
import { checkTokenizerFitsModel } from '../engine/io/tokenizer';
import { exportPeftAdapter, exportPrunedModel } from '../engine/export/export';
import { buildModel } from '../engine/model/build';
import { parseLoraTargets, type PeftConfig } from '../engine/model/peft';
import { CLASSIFIER_TENSORS } from '../engine/model/names';
import { prepareTask } from '../engine/train/task';
import { evaluate, NON_FINITE_POLICIES, type EvalLog, type NonFinitePolicy, type TrainSettings } from '../engine/train/trainer';
import { TrainingRun } from '../engine/train/run';
import { phaseReport } from '../engine/train/report';
import { estimateTrainingPeak, gpuBaseParameters } from '../shared/memory-estimate';
import { formatBytes } from '../shared/format-bytes';
import type { ModelConfig } from '../engine/model/config';
import { lightPeftReport, phaseSchedule, reportFiles, RUN_FILES, TOKENIZER_FILE_NAMES, trainReport, type LightPeftReport, type ParameterCounts, type TrainReport } from '../engine/export/report';
import type { ModelLimits } from '../engine/train/checks';
import { ADAPTER_DEFAULTS, BASELINE_SCHEDULE, defaultEstimationSteps, LIGHT_PEFT_DEFAULTS, LORA_DEFAULTS, NON_FINITE_DEFAULTS, TRAINING_DEFAULTS } from '../engine/train/defaults';
import { LightPeftRun } from '../engine/lightpeft/run';
import { timeInference } from '../engine/lightpeft/inference-time';
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
  'on-nan': { type: 'string' },
  'no-dropout': { type: 'boolean' },
  'estimate-steps': { type: 'string' },
  'estimate-warmup-ratio': { type: 'string' },
  'lambda-head': { type: 'string' },
  'lambda-ffn': { type: 'string' },
  'mask-lr-multiplier': { type: 'string' },
  ...RATIO_OPTIONS,
  seed: { type: 'string' },
  out: { type: 'string' },
} as const;

type Options = ReturnType<typeof parseOptions<typeof OPTIONS>>;

const METHODS = ['lora', 'light-peft'];

export async function trainCommand(args: string[]): Promise<void> {
  const o = parseOptions(args, OPTIONS, 'train', TRAIN_USAGE);
  const modelDir = requireOption(o.model, 'model', 'train');
  const dataFile = requireOption(o.data, 'data', 'train');
  const outDir = requireOption(o.out, 'out', 'train');
  const method = o.method ?? 'lora';
  if (!METHODS.includes(method)) throw new UsageError(`train: unknown --method "${method}"; methods: ${METHODS.join(', ')}`);
  const lightPeft = method === 'light-peft';
  const seed = settingOption(o, 'seed', TRAINING_DEFAULTS.seed);

  const { reader, hubId } = modelReader(modelDir, 'train', { revision: o.revision, token: o['hf-token'] });
  const { config: baseConfig, weights } = await readModelDir(reader);
  const tokenizer = await readTokenizerDir(reader);
  checkTokenizerFitsModel(tokenizer, baseConfig);
  const task = prepareTask({
    config: baseConfig,
    hasHead: weights.has(CLASSIFIER_TENSORS.outWeight),
    train: await readDatasetFile(dataFile),
    validation: o['eval-data'] ? await readDatasetFile(o['eval-data']) : undefined,
    columns: { text: o['text-column'], textPair: o['text-pair-column'], label: o['label-column'] },
    validationFraction: settingOption(o, 'validationFraction', TRAINING_DEFAULTS.validationFraction),
    seed,
  });
  for (const w of task.warnings) process.stderr.write(`warning: ${w}\n`);

  const limits: ModelLimits = { maxTokens: task.config.maxPositions - task.config.padTokenId - 1, hidden: task.config.hidden, pairs: task.train.some((e) => e.textPair !== undefined) };
  const { settings, estimation } = settingsFromOptions(o, lightPeft, task.train.length, limits);
  const peft = peftFromOptions(o, lightPeft, limits);
  const ratios = lightPeft ? ratiosFromOptions(o, 'train') : null;

  const ctx = new GpuContext(await acquireNodeGpu());
  const model = await buildModel(ctx, { config: task.config, weights, peft, trainMasks: false, seed });
  printMemoryEstimate(task.config, peft, settings, lightPeft); // once the checkpoint is known to fit the config
  await mkdir(join(outDir, RUN_FILES.adapter), { recursive: true }); // before training: an unwritable --out fails fast
  // trainable = PEFT modules + classifier head; peft = the modules alone.
  const parametersBefore: ParameterCounts = { base: model.baseParameterCount(), trainable: model.trainableParameterCount(), peft: model.trainableParameterCount(['peft']) };
  const data = { train: task.train, validation: task.validation };
  const progress = progressPrinter(settings.steps + (estimation?.steps ?? 0));
  const hooks = { onLog: progress, onEvaluation: progress.evaluation, onRollback: progress.rollback };
  let phaseReports: Pick<TrainReport, 'estimation' | 'training'>;
  let run: TrainingRun | LightPeftRun;
  let lightPeftSection: LightPeftReport | null = null;
  ctx.pool.resetPeak();
  if (estimation && ratios) {
    const lp = new LightPeftRun(model, tokenizer, data, { estimation, training: settings, ratios });
    const probe = task.train.slice(0, settings.batchSize);
    const measured = { estimationPeak: 0, beforeSeconds: 0, afterSeconds: 0, beforePrune: 0, afterPrune: 0 };
    while (lp.phase !== 'done') {
      await lp.runSteps(Infinity, {
        ...hooks,
        beforePrune: async () => {
          measured.estimationPeak = ctx.pool.peakAllocatedBytes;
          measured.beforeSeconds = await timeInference(model, tokenizer, probe, settings.maxLength);
          await ctx.sync();
          measured.beforePrune = ctx.pool.inUseBytes;
        },
        afterPrune: async () => {
          measured.afterPrune = ctx.pool.inUseBytes;
          measured.afterSeconds = await timeInference(model, tokenizer, probe, settings.maxLength);
          ctx.pool.resetPeak();
        },
      });
    }
    const pruned = lp.prunedWith!;
    phaseReports = { estimation: phaseReport(lp.estimation, measured.estimationPeak), training: phaseReport(lp.training!, ctx.pool.peakAllocatedBytes) };
    await writeFile(join(outDir, RUN_FILES.scores), scoresToSafetensors(pruned.scores));
    // The pruned model as a checkpoint folder the app and this CLI load (with the tokenizer), plus pruning.json.
    await mkdir(join(outDir, RUN_FILES.prunedModel), { recursive: true });
    for (const file of await exportPrunedModel(model, pruned.plan)) await writeFile(join(outDir, RUN_FILES.prunedModel, file.name), file.bytes);
    for (const name of TOKENIZER_FILE_NAMES) {
      const bytes = await reader.read(name);
      if (bytes) await writeFile(join(outDir, RUN_FILES.prunedModel, name), bytes);
    }
    lightPeftSection = lightPeftReport(
      pruned.plan,
      { before: parametersBefore, after: { base: model.baseParameterCount(), trainable: model.trainableParameterCount(), peft: model.trainableParameterCount(['peft']) } },
      { beforeSeconds: measured.beforeSeconds, afterSeconds: measured.afterSeconds },
      { beforePrune: measured.beforePrune, afterPrune: measured.afterPrune },
    );
    run = lp;
  } else {
    const plain = new TrainingRun(model, tokenizer, data, settings);
    await plain.runSteps(Infinity, hooks);
    phaseReports = { training: phaseReport(plain, ctx.pool.peakAllocatedBytes) };
    run = plain;
  }
  progress.done();
  const start = performance.now();
  const { predictions, ...metrics } = await evaluate(model, tokenizer, task.validation, { batchSize: 64, maxLength: settings.maxLength });
  const evalSeconds = (performance.now() - start) / 1000;
  // The phases' evaluations, then the final one (which belongs to no phase).
  const evaluations: EvalLog[] = [...run.evaluations, { step: run instanceof LightPeftRun ? run.step : run.globalStep, ...metrics, seconds: evalSeconds }];

  for (const file of await exportPeftAdapter(model, { baseModel: hubId ?? modelDir, revision: hubId ? o.revision : undefined })) await writeFile(join(outDir, RUN_FILES.adapter, file.name), file.bytes);
  const report = trainReport({
    command: 'train',
    model: modelDir,
    data: { train: dataFile, validation: o['eval-data'] ?? null, columns: task.columns, trainExamples: task.train.length, validationExamples: task.validation.length, labels: task.config.id2label },
    method: lightPeft ? 'light-peft' : 'lora',
    peft,
    settings,
    phases: estimation ? { estimation: phaseSchedule(estimation), training: phaseSchedule(settings) } : { training: phaseSchedule(settings) },
    parameters: parametersBefore,
    ...phaseReports,
    lightPeft: lightPeftSection,
    evaluation: { ...metrics, seconds: evalSeconds },
    evaluations,
  });
  for (const file of reportFiles(report, run.logs)) await writeFile(join(outDir, file.name), file.bytes);
  process.stdout.write(
    `validation accuracy ${(metrics.accuracy * 100).toFixed(1)}%, macro-F1 ${metrics.macroF1.toFixed(3)}` +
      (metrics.mcc !== null ? `, MCC ${metrics.mcc.toFixed(3)}` : '') +
      ` on ${metrics.count} examples; wrote ${outDir}/report.json, curves.csv, evaluations.csv, adapter/${lightPeft ? ', scores.safetensors, pruned-model/' : ''}\n`,
  );
}

/**
 * The run's settings (light-peft: training the pruned model) and, for light-peft, the estimation
 * run's: the method's defaults (the paper's scripts) where an option is absent.
 */
function settingsFromOptions(o: Options, lightPeft: boolean, trainExamples: number, limits: ModelLimits): { settings: TrainSettings; estimation: TrainSettings | null } {
  const batchSize = settingOption(o, 'batchSize', TRAINING_DEFAULTS.batchSize);
  if (o.steps && o.epochs) throw new UsageError('train: give --steps or --epochs, not both');
  const schedule = lightPeft ? LIGHT_PEFT_DEFAULTS.training : BASELINE_SCHEDULE;
  const epochs = settingOption(o, 'epochs', schedule.epochs);
  const settings: TrainSettings = {
    steps: o.steps ? settingOption(o, 'steps', 0) : Math.ceil((epochs * trainExamples) / batchSize),
    batchSize,
    maxLength: settingOption(o, 'maxLength', TRAINING_DEFAULTS.maxLength, limits),
    seed: settingOption(o, 'seed', TRAINING_DEFAULTS.seed),
    lr: settingOption(o, 'lr', schedule.lr),
    warmupRatio: settingOption(o, 'warmupRatio', schedule.warmupRatio),
    weightDecay: settingOption(o, 'weightDecay', schedule.weightDecay),
    maskLrMultiplier: settingOption(o, 'maskLrMultiplier', LIGHT_PEFT_DEFAULTS.maskLrMultiplier),
    // λ weigh the mask L1 terms of the estimation run (the pruned model has no trainable masks).
    lambdaHead: lightPeft ? settingOption(o, 'lambdaHead', LIGHT_PEFT_DEFAULTS.lambdaHead) : 0,
    lambdaFfn: lightPeft ? settingOption(o, 'lambdaFfn', LIGHT_PEFT_DEFAULTS.lambdaFfn) : 0,
    dropout: !o['no-dropout'],
    logEvery: settingOption(o, 'logEvery', TRAINING_DEFAULTS.logEvery),
    // Hugging Face's Trainer clips at 1.0 by default (the paper's code runs on it); 0 turns it off.
    maxGradNorm: settingOption(o, 'maxGradNorm', TRAINING_DEFAULTS.maxGradNorm),
    evalEvery: settingOption(o, 'evalEvery', TRAINING_DEFAULTS.evalEvery),
    onNonFinite: nonFinitePolicy(o['on-nan']),
  };
  if (!lightPeft) return { settings, estimation: null };
  const defaults = LIGHT_PEFT_DEFAULTS.estimation;
  const estimation: TrainSettings = {
    ...settings,
    steps: settingOption(o, 'estimateSteps', defaultEstimationSteps(trainExamples, batchSize)),
    lr: settingOption(o, 'lr', defaults.lr),
    warmupRatio: settingOption(o, 'estimateWarmupRatio', defaults.warmupRatio),
    weightDecay: settingOption(o, 'weightDecay', defaults.weightDecay),
  };
  return { settings, estimation };
}

/** What the run will need on the GPU at its peak, before it starts (src/shared/memory-estimate.ts). */
function printMemoryEstimate(config: ModelConfig, peft: PeftConfig, settings: TrainSettings, lightPeft: boolean): void {
  const e = estimateTrainingPeak(
    { parameters: gpuBaseParameters(config), layers: config.layers, hidden: config.hidden, heads: config.heads, intermediate: config.intermediate, labels: config.numLabels },
    { batchSize: settings.batchSize, seqLen: settings.maxLength, peft, lightPeft },
  );
  process.stderr.write(`GPU memory: about ${formatBytes(e.total)} at the peak (weights ${formatBytes(e.weights)}, activations ${formatBytes(e.activations)}, training state ${formatBytes(e.training)})\n`);
}

function nonFinitePolicy(value: string | undefined): NonFinitePolicy {
  if (value === undefined) return NON_FINITE_DEFAULTS.policy;
  if ((NON_FINITE_POLICIES as readonly string[]).includes(value)) return value as NonFinitePolicy;
  throw new UsageError(`train: --on-nan must be ${NON_FINITE_POLICIES.join(' or ')}, not "${value}"`);
}

function peftFromOptions(o: Options, lightPeft: boolean, limits: ModelLimits): PeftConfig {
  const kind = o.peft ?? 'lora';
  const dropout = !o['no-dropout'];
  if (kind === 'adapter') {
    return { kind: 'adapter', size: settingOption(o, 'adapterSize', ADAPTER_DEFAULTS.size, limits), activation: ADAPTER_DEFAULTS.activation, dropout: dropout ? ADAPTER_DEFAULTS.dropout : 0 };
  }
  if (kind !== 'lora') throw new UsageError(`train: unknown --peft "${kind}"; choose lora or adapter`);
  let targets;
  try {
    targets = parseLoraTargets(o['lora-targets'] ?? (lightPeft ? LIGHT_PEFT_DEFAULTS.targets : LORA_DEFAULTS.targets).join(','));
  } catch (e) {
    throw new UsageError(`train: --lora-targets: ${(e as Error).message}`);
  }
  return {
    kind: 'lora',
    rank: settingOption(o, 'loraRank', LORA_DEFAULTS.rank, limits),
    alpha: settingOption(o, 'loraAlpha', LORA_DEFAULTS.alpha),
    targets,
    dropout: dropout ? LORA_DEFAULTS.dropout : 0,
  };
}
