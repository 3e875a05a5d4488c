/**
 * train / stopTraining / resumeRun: fine-tune the loaded model on the loaded data in the worker.
 * The run goes to IndexedDB when it starts, every `checkpointEvery` steps, on stop and at the end
 * (settings to rebuild it, the loss curve and validation evaluations, the PEFT weights and
 * optimizer state), so a reload or a crash resumes where it was: the same model and data are
 * loaded again, the checkpoint is restored, the seeded batch stream is fast-forwarded to the saved
 * step and the schedule goes on from there, so the run continues exactly as if it had not been
 * interrupted. The validation set is evaluated every `evalEvery` steps (by the trainer) and at the end.
 */
import { BadInputError, NotReadyError, SettingError } from '../../errors';
import type { GpuContext } from '../../gpu/context';
import type { RunRecord, StoredTensor } from '../../engine/train/checkpoint-store';
import type { Example } from '../../engine/io/datasets';
import { checkTokenizerFitsModel } from '../../engine/io/tokenizer';
import { buildModel } from '../../engine/model/build';
import { LORA_TARGETS, type PeftConfig } from '../../engine/model/peft';
import { CLASSIFIER_TENSORS } from '../../engine/model/names';
import type { RobertaModel } from '../../engine/model/roberta';
import { shuffledBatches } from '../../engine/train/batches';
import { AdamW } from '../../engine/train/optimizer';
import { captureTrainingState, restoreTrainingState } from '../../engine/train/state';
import { defaultOptimizer, evaluate, train, type EvalLog, type StepLog, type TrainHooks, type TrainSettings } from '../../engine/train/trainer';
import type { ModelSummary, RunCurves, RunSettings, TrainMethod, TrainOptions, TrainProgress, TrainResult } from '../protocol';
import type { LoadedData, LoadedModel, Session } from '../session';
import { describePeft } from './model-summary';
import { refuseWhileTraining } from './busy';

/** Gets a message after every step (and at each phase); see throttledTrainProgress for the page. */
export type TrainProgressReporter = (progress: TrainProgress) => void;

/**
 * Passes on at most one step message per `intervalMs`, but always the first, a new phase, new
 * loss points or evaluations and a new checkpoint (dropped messages carry nothing the next one does not).
 */
export function throttledTrainProgress(send: TrainProgressReporter, intervalMs: number, now = () => performance.now()): TrainProgressReporter {
  let last: TrainProgress | null = null;
  let lastTime = -Infinity;
  return (progress) => {
    const time = now();
    const important =
      !last ||
      progress.phase !== last.phase ||
      progress.newLogs.length > 0 ||
      progress.newEvaluations.length > 0 ||
      progress.checkpointStep !== last.checkpointStep ||
      progress.step === progress.totalSteps;
    if (!important && time - lastTime < intervalMs) return;
    last = progress;
    lastTime = time;
    send(progress);
  };
}

/** Schedule and optimizer defaults of the app (the CLI's too). */
const WARMUP_RATIO = 0.06;
const WEIGHT_DECAY = 0.01;
/** Global gradient-norm clipping, as Hugging Face's Trainer does by default. */
const MAX_GRAD_NORM = 1;
const MAX_STEPS = 1_000_000;
const MAX_BATCH = 1024;

/** Starts a new run with the loaded model and data. */
export async function startTraining(session: Session, options: TrainOptions, report: TrainProgressReporter): Promise<TrainResult> {
  refuseWhileTraining(session, 'start another run');
  const loaded = modelForTraining(session);
  const data = dataForTraining(session);
  const examples = data.examples!;
  checkOptions(options, loaded, examples.train.some((e) => e.textPair !== undefined));
  const { id2label } = labelsFor(loaded, data);
  const now = Date.now();
  const settings: RunSettings = {
    version: 1,
    model: {
      origin: loaded.origin,
      name: loaded.summary.name,
      files: loaded.summary.files,
      shape: shapeOf(loaded.summary),
    },
    data: {
      origin: data.origin,
      files: data.files,
      columns: examples.settings,
      trainCount: examples.train.length,
      validationCount: examples.validation.length,
    },
    id2label,
    options,
    engine: {
      steps: options.steps,
      batchSize: options.batchSize,
      maxLength: options.maxLength,
      seed: options.seed,
      lr: options.lr,
      warmupRatio: WARMUP_RATIO,
      weightDecay: WEIGHT_DECAY,
      maskLrMultiplier: 1,
      lambdaHead: 0,
      lambdaFfn: 0,
      dropout: options.dropout,
      logEvery: logEveryFor(options.checkpointEvery),
      maxGradNorm: MAX_GRAD_NORM,
      evalEvery: options.evalEvery,
    },
  };
  const run: RunRecord = {
    id: crypto.randomUUID(),
    name: `${loaded.summary.name} · ${dataName(data)} · ${describeMethod(options.method)}`,
    createdAt: now,
    updatedAt: now,
    step: 0,
    status: 'running',
    settings,
    curves: { loss: [], metrics: null, evaluations: [], error: null } satisfies RunCurves,
  };
  return execute(session, run, null, report);
}

/** Continues a saved run from its checkpoint; the same model and data (and columns) must be loaded. */
export async function resumeRun(session: Session, runId: string, report: TrainProgressReporter): Promise<TrainResult> {
  refuseWhileTraining(session, 'resume a run');
  const saved = await (await session.checkpoints()).load(runId);
  if (!saved) throw new NotReadyError('This run is no longer saved in this browser (it was deleted); start a new one.');
  const settings = runSettingsOf(saved.run);
  if (!settings) throw new NotReadyError(`The run “${saved.run.name}” was saved by another version of this app and cannot be resumed; delete it and start a new one.`);
  if (saved.run.status === 'finished') throw new SettingError(`The run “${saved.run.name}” has finished: there is nothing to resume.`);
  const loaded = modelForTraining(session, settings);
  checkSameModel(loaded, settings);
  const data = dataForTraining(session, settings);
  checkSameData(loaded, data, settings);
  return execute(session, saved.run, saved.tensors, report);
}

/** Asks the running training to stop after its current step; false when none runs. */
export function stopTraining(session: Session): boolean {
  if (!session.training) return false;
  session.training.stopRequested = true;
  return true;
}

/**
 * A RunRecord's settings when they are this app's, else null. Runs saved before evaluations
 * during training existed get `evalEvery: 0` (their engine settings, without one, never evaluate).
 */
export function runSettingsOf(run: RunRecord): RunSettings | null {
  const s = run.settings as Partial<RunSettings> | null;
  if (!(s && typeof s === 'object' && s.version === 1 && s.model && s.data && s.options && s.engine && Array.isArray(s.id2label))) return null;
  const settings = s as RunSettings;
  return settings.options.evalEvery === undefined ? { ...settings, options: { ...settings.options, evalEvery: 0 } } : settings;
}

/** A RunRecord's curves, filled in where a record lacks them (older runs have no evaluations). */
export function runCurvesOf(run: RunRecord): RunCurves {
  const c = (run.curves ?? {}) as Partial<RunCurves>;
  return {
    loss: Array.isArray(c.loss) ? c.loss : [],
    metrics: c.metrics ?? null,
    evaluations: Array.isArray(c.evaluations) ? c.evaluations : [],
    error: c.error ?? null,
  };
}

/**
 * Loss read-backs (each one waits for the GPU): every few steps, on a divisor of the checkpoint
 * interval where there is one, so each checkpoint carries the loss of its own step.
 */
export function logEveryFor(checkpointEvery: number): number {
  for (let n = Math.min(5, checkpointEvery); n >= 2; n--) if (checkpointEvery % n === 0) return n;
  return Math.min(5, checkpointEvery);
}

export function peftOf(method: TrainMethod): PeftConfig {
  return method.kind === 'lora'
    ? { kind: 'lora', rank: method.rank, alpha: method.alpha, targets: [...method.targets] }
    : { kind: 'adapter', size: method.size, activation: 'relu' };
}

// ---- the run itself ------------------------------------------------------------------------

async function execute(session: Session, run: RunRecord, checkpoint: Map<string, StoredTensor> | null, report: TrainProgressReporter): Promise<TrainResult> {
  const active = { runId: run.id, stopRequested: false };
  session.training = active;
  try {
    return await session.withModel(() => trainRun(session, run, checkpoint, report, () => active.stopRequested));
  } finally {
    session.training = null;
  }
}

async function trainRun(
  session: Session,
  run: RunRecord,
  checkpoint: Map<string, StoredTensor> | null,
  report: TrainProgressReporter,
  stopRequested: () => boolean,
): Promise<TrainResult> {
  const settings = runSettingsOf(run)!;
  const loaded = session.model!;
  const tokenizer = loaded.tokenizer!;
  const data = session.data!;
  const { remap } = labelsFor(loaded, data);
  const examples = { train: relabel(data.examples!.train, remap), validation: relabel(data.examples!.validation, remap) };
  const store = await session.checkpoints();
  const ctx = await session.gpu();
  const engine: TrainSettings = { ...settings.engine };
  const total = engine.steps;
  const startStep = run.step;
  const curves = runCurvesOf(run);
  curves.error = null;
  let record: RunRecord = { ...run, curves };
  let step = startStep;
  let checkpointStep: number | null = null;
  let phase: TrainProgress['phase'] = 'preparing';
  const unposted: StepLog[] = [...curves.loss];
  const unpostedEvaluations: EvalLog[] = [...curves.evaluations];
  const every = engine.evalEvery ?? 0;
  /** Whether the trainer evaluates after `s` (not after the last step: the final evaluation covers it). */
  const evaluatesAfter = (s: number) => every > 0 && s > 0 && s % every === 0 && s < total;
  const recordEvaluation = (log: EvalLog) => {
    curves.evaluations.push(log);
    unpostedEvaluations.push(log);
  };
  let rates: { steps: number | null; tokens: number | null } = { steps: null, tokens: null };

  const post = () =>
    report({
      runId: run.id,
      name: run.name,
      phase,
      step,
      totalSteps: total,
      startStep,
      newLogs: unposted.splice(0),
      newEvaluations: unpostedEvaluations.splice(0),
      stepsPerSecond: rates.steps,
      tokensPerSecond: rates.tokens,
      gpuBytes: ctx.liveBytes,
      peakGpuBytes: ctx.pool.peakAllocatedBytes,
      checkpointStep,
    });
  post();

  const { model, optimizer } = await buildForRun(ctx, loaded, settings, checkpoint, run.name);
  // The trained model replaces the loaded one: exports and the next run start from it.
  const previous = loaded.model;
  session.model = { ...loaded, model, summary: trainedSummary(loaded.summary, model, settings) };
  previous.dispose();
  ctx.pool.trim();
  ctx.pool.resetPeak();

  const save = async (status: RunRecord['status']) => {
    phase = 'saving';
    record = { ...record, step, status, updatedAt: Date.now(), curves: { ...curves, loss: [...curves.loss], evaluations: [...curves.evaluations] } };
    await store.save(record, await captureTrainingState(model, optimizer));
    checkpointStep = step;
    session.lastRun = record; // the export's training report
  };

  try {
    if (startStep === 0) await save('running'); // listed (and resumable) from the start
    if (evaluatesAfter(startStep) && !curves.evaluations.some((e) => e.step === startStep)) {
      // The checkpoint of an evaluation step is saved before that evaluation runs: a run that was
      // reloaded or crashed after it resumes here without it, so it runs now, on the same weights.
      phase = 'evaluating';
      post();
      recordEvaluation(await evaluateNow());
    }
    phase = 'training';
    post();
    if (step < total) {
      const batches = shuffledBatches(examples.train.length, engine.batchSize, engine.seed);
      for (let i = 0; i < startStep; i++) batches.next(); // the data order of an uninterrupted run
      const started = performance.now();
      const secondsBefore = curves.loss.at(-1)?.seconds ?? 0;
      let tokens = 0;
      let logged = -1;
      /** Seconds of this call spent on evaluations: training time and rates leave them out. */
      let evalSeconds = 0;
      const trainingSeconds = () => (performance.now() - started) / 1000 - evalSeconds;
      const hooks: TrainHooks = {
        shouldStop: stopRequested,
        onStep: async (info) => {
          step = info.step;
          tokens += info.tokens;
          if (logged === step) {
            // The loss read-back waited for the GPU: the rates here are the GPU's, not the queue's.
            const seconds = trainingSeconds();
            rates = { steps: (step - startStep) / seconds, tokens: tokens / seconds };
          }
          if (step % settings.options.checkpointEvery === 0 && step < total) {
            await save('running');
            phase = 'training';
          }
          if (evaluatesAfter(step)) phase = 'evaluating'; // the trainer evaluates once this returns
          post(); // every step; the worker throttles what it sends to the page
          await nextTask(); // lets a stopTraining request in
        },
        evaluation: {
          examples: examples.validation,
          onResult: (log) => {
            evalSeconds += log.seconds;
            recordEvaluation(log);
            phase = 'training';
            post();
          },
        },
      };
      const onLog = (log: StepLog) => {
        logged = log.step;
        // Seconds count on from the run's earlier calls (from its last loss point: close enough).
        const point = { ...log, seconds: secondsBefore + trainingSeconds() };
        curves.loss.push(point);
        unposted.push(point);
      };
      // A resumed run first goes to the next loss read-back step (the trainer reads the loss at the
      // end of each call), so its loss points fall on the same steps as an uninterrupted run's.
      const aligned = Math.min(total, Math.ceil(startStep / engine.logEvery) * engine.logEvery);
      for (const [from, to] of [
        [startStep, aligned],
        [aligned, total],
      ]) {
        if (to <= from || step !== from) continue; // an empty piece, or stopped
        await train(model, tokenizer, examples.train, { ...engine, steps: to - from }, onLog, optimizer, { offset: from, total, batches }, hooks);
      }
    }
    if (step < total) {
      await save('paused');
      return finish(null);
    }
    phase = 'evaluating';
    post();
    const final = await evaluateNow();
    const { accuracy, macroF1, mcc, count } = final;
    const metrics = { accuracy, macroF1, mcc, count };
    curves.metrics = metrics;
    recordEvaluation(final); // the last message carries it
    await save('finished');
    return finish(metrics);
  } catch (error) {
    optimizer.dispose();
    ctx.pool.trim();
    await markFailed(session, run.id, error);
    throw error;
  }

  /** The validation set on the model as it is now, as an evaluation after the current step. */
  async function evaluateNow(): Promise<EvalLog> {
    const begun = performance.now();
    const { predictions, ...metrics } = await evaluate(model, tokenizer, examples.validation, { batchSize: engine.batchSize, maxLength: engine.maxLength });
    return { step, ...metrics, seconds: (performance.now() - begun) / 1000 };
  }

  /** The optimizer state lives on in the checkpoint only; the trained model stays loaded. */
  function finish(metrics: TrainResult['metrics']): TrainResult {
    optimizer.dispose();
    ctx.pool.trim();
    phase = 'done';
    post();
    return resultOf(record, metrics, curves, session.model!.summary, ctx);
  }
}

/** The model with the run's PEFT method and labels, its optimizer, and the checkpoint's state when resuming. */
async function buildForRun(
  ctx: GpuContext,
  loaded: LoadedModel,
  settings: RunSettings,
  checkpoint: Map<string, StoredTensor> | null,
  runName: string,
): Promise<{ model: RobertaModel; optimizer: AdamW }> {
  const config = { ...loaded.config, id2label: [...settings.id2label], numLabels: settings.id2label.length };
  let model: RobertaModel;
  try {
    model = await buildModel(ctx, { config, weights: loaded.weights, peft: peftOf(settings.options.method), trainMasks: false, seed: settings.options.seed });
    await ctx.sync(); // out of memory shows here, before the loaded model is replaced
  } catch (e) {
    ctx.pool.trim();
    throw e;
  }
  const optimizer = new AdamW(ctx, defaultOptimizer(settings.engine));
  if (checkpoint) {
    try {
      restoreTrainingState(model, optimizer, checkpoint);
    } catch (e) {
      optimizer.dispose();
      model.dispose();
      ctx.pool.trim();
      throw new BadInputError(`the saved run “${runName}”`, null, `${(e as Error).message}. Delete it and start a new run.`);
    }
  }
  return { model, optimizer };
}

/** Marks a run failed, keeping its last checkpoint (the state that failed may hold NaNs). */
async function markFailed(session: Session, runId: string, error: unknown): Promise<void> {
  try {
    const store = await session.checkpoints();
    const last = await store.load(runId);
    if (!last) return;
    const shown = error instanceof Error ? { name: error.name, message: error.message } : { name: 'Error', message: String(error) };
    await store.save({ ...last.run, status: 'failed', updatedAt: Date.now(), curves: { ...runCurvesOf(last.run), error: shown } }, last.tensors);
  } catch {
    // IndexedDB itself failed: the run keeps its last saved state, and the error above is what the user sees.
  }
}

function resultOf(run: RunRecord, metrics: TrainResult['metrics'], curves: RunCurves, model: ModelSummary, ctx: GpuContext): TrainResult {
  return {
    runId: run.id,
    name: run.name,
    status: run.status === 'finished' ? 'finished' : 'paused',
    step: run.step,
    totalSteps: runSettingsOf(run)!.engine.steps,
    metrics,
    loss: curves.loss,
    evaluations: curves.evaluations,
    model: { ...model, gpuBytes: ctx.liveBytes },
  };
}

function trainedSummary(summary: ModelSummary, model: RobertaModel, settings: RunSettings): ModelSummary {
  return {
    ...summary,
    peft: describePeft(peftOf(settings.options.method)),
    trainableParameters: model.trainableParameterCount(),
    id2label: [...settings.id2label],
  };
}

/**
 * Lets queued messages (a stop request) run before the next step. A MessageChannel task, not
 * setTimeout(0): browsers clamp nested timeouts to 4 ms, which would be paid on every step.
 */
function nextTask(): Promise<void> {
  return new Promise((resolve) => {
    const { port1, port2 } = new MessageChannel();
    port1.onmessage = () => {
      port1.close();
      resolve();
    };
    port2.postMessage(null);
  });
}

// ---- checks --------------------------------------------------------------------------------

function modelForTraining(session: Session, settings?: RunSettings): LoadedModel {
  const loaded = session.model;
  if (!loaded) {
    throw new NotReadyError(settings ? `${needModel(settings)}, then Resume.` : 'Load a model first (1 Model): training fine-tunes it.');
  }
  if (!loaded.tokenizer) throw new NotReadyError(loaded.summary.tokenizerProblem ?? 'The loaded model has no tokenizer; training needs one.');
  checkTokenizerFitsModel(loaded.tokenizer, loaded.config, loaded.configFile);
  return loaded;
}

function dataForTraining(session: Session, settings?: RunSettings): LoadedData {
  const data = session.data;
  if (!data) throw new NotReadyError(settings ? `${needData(settings)}, then Resume.` : 'Load a dataset first (2 Data): the built-in demo data or your own file.');
  if (!data.examples) throw new NotReadyError('Choose the text and label columns of the dataset first (2 Data).');
  if (data.examples.train.length === 0) throw new NotReadyError('The training set is empty: there is nothing to train on.');
  if (data.examples.validation.length === 0) throw new NotReadyError('The validation set is empty: give a validation file or hold out a share of the training file.');
  return data;
}

function checkOptions(options: TrainOptions, loaded: LoadedModel, pairs: boolean): void {
  const whole = (n: number, min: number, max: number) => Number.isInteger(n) && n >= min && n <= max;
  if (!whole(options.steps, 1, MAX_STEPS)) throw new SettingError(`Steps must be a whole number from 1 to ${MAX_STEPS.toLocaleString('en-US')}, got ${options.steps}.`);
  if (!whole(options.batchSize, 1, MAX_BATCH)) throw new SettingError(`The batch size must be a whole number from 1 to ${MAX_BATCH}, got ${options.batchSize}.`);
  if (!(Number.isFinite(options.lr) && options.lr > 0 && options.lr < 1)) throw new SettingError(`The learning rate must be a number above 0 and below 1 (e.g. 0.001), got ${options.lr}.`);
  const shortest = pairs ? 6 : 3;
  const longest = loaded.summary.maxTokens;
  if (!whole(options.maxLength, shortest, longest)) {
    throw new SettingError(`Max length must be a whole number from ${shortest} to ${longest} (the longest input this model's position table allows), got ${options.maxLength}.`);
  }
  if (!Number.isSafeInteger(options.seed)) throw new SettingError(`The seed must be a whole number, got ${options.seed}.`);
  if (!whole(options.checkpointEvery, 1, MAX_STEPS)) throw new SettingError(`“Checkpoint every” must be a whole number of steps, at least 1, got ${options.checkpointEvery}.`);
  if (!whole(options.evalEvery, 0, MAX_STEPS)) {
    throw new SettingError(`“Evaluate every” must be a whole number of steps, 0 or more (0: only at the end), got ${options.evalEvery}.`);
  }
  const method = options.method;
  if (method.kind === 'lora') {
    if (!whole(method.rank, 1, loaded.summary.hidden)) throw new SettingError(`The LoRA rank r must be a whole number from 1 to ${loaded.summary.hidden} (the hidden size), got ${method.rank}.`);
    if (!(Number.isFinite(method.alpha) && method.alpha > 0)) throw new SettingError(`LoRA alpha must be a number above 0 (e.g. 16), got ${method.alpha}.`);
    if (method.targets.length === 0) throw new SettingError(`Choose at least one LoRA target: ${LORA_TARGETS.join(', ')}.`);
    const unknown = method.targets.find((t) => !(LORA_TARGETS as readonly string[]).includes(t));
    if (unknown !== undefined) throw new SettingError(`Unknown LoRA target "${unknown}"; targets: ${LORA_TARGETS.join(', ')}.`);
  } else if (!whole(method.size, 1, 4 * loaded.summary.hidden)) {
    throw new SettingError(`The adapter size must be a whole number from 1 to ${4 * loaded.summary.hidden}, got ${method.size}.`);
  }
}

/**
 * The labels the head trains on. A checkpoint with a classification head fixes them (the data's
 * labels are mapped onto its ids); without one, the data's labels make a fresh head.
 */
function labelsFor(loaded: LoadedModel, data: LoadedData): { id2label: string[]; remap: number[] | null } {
  const dataLabels = data.examples!.id2label;
  if (!hasHead(loaded)) return { id2label: [...dataLabels], remap: null };
  const modelLabels = loaded.config.id2label;
  const remap = dataLabels.map((label) => modelLabels.indexOf(label));
  const missing = dataLabels.find((_, i) => remap[i] < 0);
  if (missing !== undefined) {
    throw new BadInputError(
      data.files[0].name,
      `label column "${data.examples!.settings.columns.label}"`,
      `has the label "${missing}", which the model's classification head does not know (it has ${modelLabels.join(', ')}); use data with those labels or a model without a head`,
    );
  }
  return { id2label: [...modelLabels], remap };
}

function hasHead(loaded: LoadedModel): boolean {
  return loaded.weights.has(CLASSIFIER_TENSORS.outWeight);
}

function relabel(examples: Example[], remap: number[] | null): Example[] {
  return remap ? examples.map((e) => ({ ...e, label: remap[e.label] })) : examples;
}

function shapeOf(summary: ModelSummary): RunSettings['model']['shape'] {
  return { layers: summary.layers, hidden: summary.hidden, heads: summary.heads, intermediate: summary.intermediate, vocabSize: summary.vocabSize };
}

/** The weights files by base name and size: the same model, wherever it was loaded from. */
function weightFiles(files: { name: string; bytes: number }[]): string {
  return files
    .filter((f) => /\.safetensors$|config\.json$/.test(f.name))
    .map((f) => `${f.name.split('/').pop()}:${f.bytes}`)
    .sort()
    .join(',');
}

function checkSameModel(loaded: LoadedModel, settings: RunSettings): void {
  const same = JSON.stringify(shapeOf(loaded.summary)) === JSON.stringify(settings.model.shape) && weightFiles(loaded.summary.files) === weightFiles(settings.model.files);
  if (!same) throw new NotReadyError(`${needModel(settings)} (now “${loaded.summary.name}” is loaded), then Resume.`);
}

function checkSameData(loaded: LoadedModel, data: LoadedData, settings: RunSettings): void {
  const key = (files: LoadedData['files']) => files.map((f) => `${f.role}:${f.name}:${f.bytes}:${f.rows}`).join(',');
  if (key(data.files) !== key(settings.data.files)) throw new NotReadyError(`${needData(settings)} (now ${dataName(data)} is loaded), then Resume.`);
  const want = settings.data.columns;
  const have = data.examples!.settings;
  const columns = (c: typeof want) =>
    JSON.stringify([c.columns.text, c.columns.textPair ?? null, c.columns.label, data.validation ? null : [c.validationFraction, c.seed]]);
  if (columns(have) !== columns(want)) {
    const split = data.validation ? '' : `, ${Math.round(want.validationFraction * 1000) / 10}% held out with seed ${want.seed}`;
    throw new NotReadyError(
      `This run used the columns text “${want.columns.text}”${want.columns.textPair ? `, pair “${want.columns.textPair}”` : ''}, label “${want.columns.label}”${split}: choose them again in 2 Data, then Resume.`,
    );
  }
  const { id2label } = labelsFor(loaded, data);
  if (id2label.join('\n') !== settings.id2label.join('\n') || data.examples!.train.length !== settings.data.trainCount) {
    throw new NotReadyError(`The loaded data does not give the examples this run was trained on (labels ${settings.id2label.join(', ')}; ${settings.data.trainCount} training examples); load the data it used, then Resume.`);
  }
}

function needModel(settings: RunSettings): string {
  const { origin, name } = settings.model;
  if (origin.kind === 'demo') return 'This run trained the built-in demo model: load it in 1 Model';
  if (origin.kind === 'hub') return `This run trained the Hub model ${origin.modelId}: load it again in 1 Model (it comes from this browser's cache)`;
  return `This run trained the model ${origin.folderName ? `folder “${origin.folderName}”` : `files “${name}”`} from this computer: a page cannot reopen local files after a reload, so choose ${origin.folderName ? 'that folder' : 'those files'} again in 1 Model`;
}

function needData(settings: RunSettings): string {
  const { origin } = settings.data;
  if (origin.kind === 'demo') return 'This run trained on the built-in demo data: load it in 2 Data';
  return `This run trained on ${origin.validation ? `“${origin.train}” with “${origin.validation}”` : `“${origin.train}”`} from this computer: choose ${origin.validation ? 'those files' : 'that file'} again in 2 Data`;
}

function dataName(data: LoadedData): string {
  return data.origin.kind === 'demo' ? 'demo data' : data.origin.train;
}

function describeMethod(method: TrainMethod): string {
  if (method.kind === 'adapter') return `adapters ${method.size}`;
  const short: Record<string, string> = { query: 'q', key: 'k', value: 'v', 'attention.output.dense': 'o', 'intermediate.dense': 'ffn-in', 'output.dense': 'ffn-out' };
  return `LoRA r=${method.rank} ${method.targets.map((t) => short[t] ?? t).join(',')}`;
}
