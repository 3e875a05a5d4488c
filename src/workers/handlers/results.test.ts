/**
 * The worker's results requests in Node (Dawn on SwiftShader, fake-indexeddb): classify a typed
 * text with the trained (and with a pruned) model, a saved run's details, and the run export
 * (the CLI's --out folder as a zip, with the pruned model and pruning.json for a pruned run).
 */
import 'fake-indexeddb/auto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { unzipSync } from 'fflate';
import { gpuContext } from '../../../test/helpers';
import { IndexedDbCheckpointStore } from '../../platform/browser/indexeddb-checkpoints';
import { Session } from '../session';
import type { ModelMeasure, PruneOutcome, TrainOptions } from '../protocol';
import { TINY_COLUMNS as COLUMNS, tinyModelFolder, tinySession } from '../../../test/worker-session';
import { loadModel } from './load-model';
import { startTraining } from './train';
import { newRunSettings, examplesFor } from './train-inputs';
import { classify, softmax } from './classify';
import { runDetails } from './run-details';
import { exportRun, safeFileName } from './export-run';
import { evaluate } from '../../engine/train/trainer';
import { buildModel } from '../../engine/model/build';
import { LightPeftRun } from '../../engine/lightpeft/run';
import { scoresFromSafetensors } from '../../engine/lightpeft/scores';
import { runCurvesOf, runSettingsOf, type RunCurves } from '../../engine/train/run-record';
import type { RunRecord } from '../../engine/train/checkpoint-store';
import type { RobertaModel } from '../../engine/model/roberta';
import type { TrainSettings } from '../../engine/train/trainer';
import { DEFAULT_RATIOS } from '../../shared/pruning-plan';
import { RunControl } from '../run-control';

const FIXTURES = join(__dirname, '..', '..', '..', 'test', 'fixtures');
const noProgress = () => {};
const OPTIONS: TrainOptions = {
  method: { kind: 'lora', rank: 4, alpha: 8, targets: ['query', 'value'] },
  steps: 8,
  batchSize: 4,
  lr: 1e-2,
  maxLength: 12,
  seed: 5,
  dropout: true,
  checkpointEvery: 4,
  evalEvery: 4,
};
const TOKENIZER_JSON = readFileSync(join(FIXTURES, 'tokenizer-tiny', 'tokenizer.json'));
const LONG_TEXT = 'a long message about the meeting today and cheap pills now, with many more words than twelve tokens hold';

/** A tiny model of two layers of two heads (the tiny tokenizer's vocabulary) with its tokenizer files. */
const SHAPE = { layers: 2, heads: 2, hidden: 8, intermediate: 16 };
const tinyFolder = () => tinyModelFolder(SHAPE);
const readySession = (store: string) => tinySession(store, SHAPE);

/**
 * Probabilities from evaluate() of the same text: its loss for a one-example set labelled k is
 * −log p(k), and its prediction is the argmax.
 */
async function evaluatedProbabilities(model: RobertaModel, session: Session, text: string, maxLength: number, textPair?: string) {
  const classes = model.config.numLabels;
  const probabilities: number[] = [];
  let prediction = -1;
  for (let label = 0; label < classes; label++) {
    const { loss, predictions } = await evaluate(model, session.model!.tokenizer!, [{ text, textPair, label }], { batchSize: 1, maxLength });
    probabilities.push(Math.exp(-loss));
    prediction = predictions[0];
  }
  return { probabilities, prediction };
}

const argmax = (xs: number[]) => xs.indexOf(Math.max(...xs));
const entries = (bytes: Uint8Array) => unzipSync(bytes);
const json = (bytes: Uint8Array) => JSON.parse(new TextDecoder().decode(bytes));

describe('classify', () => {
  it('refuses without a model and on empty text; computes softmax without overflow', async () => {
    const session = new Session(gpuContext, () => IndexedDbCheckpointStore.open('results-empty'));
    await expect(classify(session, 'hello')).rejects.toMatchObject({ name: 'NotReadyError', message: expect.stringContaining('Load a model first') });
    await loadModel(session, { kind: 'files', files: tinyFolder() }, noProgress);
    await expect(classify(session, '')).rejects.toMatchObject({ name: 'SettingError' });
    await expect(classify(session, '  \n ')).rejects.toMatchObject({ name: 'SettingError', message: expect.stringContaining('empty') });
    const p = softmax([1000, 1000 + Math.log(3)]);
    expect(p[0]).toBeCloseTo(0.25, 12);
    expect(p[1]).toBeCloseTo(0.75, 12);
  });

  it('gives each label’s probability, in id order, as evaluate() of the same text at the run’s max length', async () => {
    const session = await readySession('results-classify');
    await startTraining(session, OPTIONS, noProgress);
    const model = session.model!.model;
    expect(model.config.id2label).toEqual(['ham', 'spam']);
    for (const text of ['cheap pills now', 'the meeting today', LONG_TEXT]) {
      const result = await classify(session, text);
      expect(result.map((r) => r.label)).toEqual(['ham', 'spam']);
      const p = result.map((r) => r.probability);
      expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
      const reference = await evaluatedProbabilities(model, session, text, OPTIONS.maxLength);
      p.forEach((v, k) => expect(v).toBeCloseTo(reference.probabilities[k], 5));
      expect(argmax(p)).toBe(reference.prediction);
    }
    // The run's max length (12) truncates the long text: the model's own (64) would not.
    const longer = await evaluatedProbabilities(model, session, LONG_TEXT, 64);
    const atRunLength = (await classify(session, LONG_TEXT)).map((r) => r.probability);
    expect(Math.abs(atRunLength[0] - longer.probabilities[0])).toBeGreaterThan(1e-6);
    // A second text is tokenized as a pair.
    const pair = (await classify(session, 'cheap pills', 'the meeting')).map((r) => r.probability);
    const pairReference = await evaluatedProbabilities(model, session, 'cheap pills', OPTIONS.maxLength, 'the meeting');
    pair.forEach((v, k) => expect(v).toBeCloseTo(pairReference.probabilities[k], 5));
  });
});

describe('runDetails', () => {
  it('returns a saved run’s settings, curves, metrics and prune; an unknown id is refused', async () => {
    const session = await readySession('results-details');
    const result = await startTraining(session, OPTIONS, noProgress);
    const details = await runDetails(session, result.runId);
    expect(details).toEqual({
      id: result.runId,
      name: result.name,
      settings: runSettingsOf(session.lastRun!),
      loss: result.loss,
      evaluations: result.evaluations,
      metrics: result.metrics,
      pruned: null,
    });
    expect(details.evaluations.map((e) => e.step)).toEqual([4, 8]);
    expect(details.settings?.options.steps).toBe(8);

    const store = await session.checkpoints();
    const outcome = { step: 3, trigger: 'now', plan: { keptHeads: [[0]] } } as unknown as PruneOutcome;
    await store.save({ ...session.lastRun!, id: 'pruned-run', curves: { ...runCurvesOf(session.lastRun!), pruned: outcome } }, new Map());
    expect((await runDetails(session, 'pruned-run')).pruned).toEqual(outcome);
    await expect(runDetails(session, 'no-such-run')).rejects.toMatchObject({ name: 'NotReadyError', message: expect.stringContaining('not saved') });
  });
});

describe('exportRun', () => {
  it('refuses before a run and while training; zips a LoRA run as the CLI writes it', async () => {
    const session = await readySession('results-export');
    await expect(exportRun(session)).rejects.toMatchObject({ name: 'NotReadyError', message: expect.stringContaining('Train a run first') });
    const result = await startTraining(session, OPTIONS, noProgress);
    session.training = { runId: 'other', control: new RunControl(), lightPeft: null, recoveries: [] };
    await expect(exportRun(session)).rejects.toMatchObject({ name: 'TrainingBusyError' });
    session.training = null;

    const { fileName, bytes } = await exportRun(session);
    const folder = safeFileName(result.name);
    expect(fileName).toBe(`${folder}.zip`);
    expect(folder).toBe('tiny-mail.csv-LoRA-r-4-q-v');
    const files = entries(bytes);
    expect(Object.keys(files).sort()).toEqual(
      ['adapter/adapter_config.json', 'adapter/adapter_model.safetensors', 'curves.csv', 'evaluations.csv', 'report.json'].map((n) => `${folder}/${n}`),
    );
    const report = json(files[`${folder}/report.json`]);
    expect(report).toMatchObject({
      command: 'app',
      model: 'tiny',
      data: { train: 'mail.csv', validation: null, columns: COLUMNS.columns, trainExamples: 32, validationExamples: 8, labels: ['ham', 'spam'] },
      method: 'lora',
      peft: { kind: 'lora', rank: 4, alpha: 8, targets: ['query', 'value'] },
      settings: { steps: 8, batchSize: 4, maxLength: 12 },
      phases: { training: { steps: 8, lr: OPTIONS.lr } },
      lightPeft: null,
      evaluation: { ...result.metrics, loss: result.evaluations.at(-1)!.loss },
      adapter: 'adapter/',
    });
    expect(report.evaluations).toEqual(result.evaluations);
    expect(report.parameters.trainable).toBe(session.model!.model.trainableParameterCount());
    expect(new TextDecoder().decode(files[`${folder}/curves.csv`]).trim().split('\n').map((r) => r.split(',')[0])).toEqual(['step', '4', '8']);
    expect(new TextDecoder().decode(files[`${folder}/evaluations.csv`]).trim().split('\n').slice(1).map((r) => Number(r.split(',')[2]))).toEqual(result.evaluations.map((e) => e.accuracy));
    expect(json(files[`${folder}/adapter/adapter_config.json`])).toMatchObject({ peft_type: 'LORA', r: 4, base_model_name_or_path: 'tiny' });
  });

  it('zips a pruned Light-PEFT run with pruned-model/ (pruning.json: exactly the plan), its tokenizer and scores.safetensors', async () => {
    const session = await readySession('results-export-lp');
    const { pruned, run } = await lightPeftRunInSession(session);
    const plan = pruned.plan;
    expect(plan.counts.heads.pruned).toBeGreaterThan(0);
    expect(plan.counts.ffn.pruned).toBeGreaterThan(0);

    const { fileName, bytes } = await exportRun(session);
    const folder = fileName.replace(/\.zip$/, '');
    const files = entries(bytes);
    const names = Object.keys(files).map((n) => n.slice(folder.length + 1)).sort();
    expect(names).toEqual([
      'adapter/adapter_config.json',
      'adapter/adapter_model.safetensors',
      'curves.csv',
      'evaluations.csv',
      'pruned-model/config.json',
      'pruned-model/model.safetensors',
      'pruned-model/pruning.json',
      'pruned-model/tokenizer.json',
      'pruned-model/tokenizer_config.json',
      'report.json',
      'scores.safetensors',
    ]);
    const file = (name: string) => files[`${folder}/${name}`];
    expect(Buffer.from(file('pruned-model/tokenizer.json')).equals(TOKENIZER_JSON)).toBe(true);

    const pruning = json(file('pruned-model/pruning.json'));
    const all = (n: number) => Array.from({ length: n }, (_, i) => i);
    expect(pruning.heads).toEqual(plan.keptHeads.map((kept, layer) => ({ layer, kept, removed: all(2).filter((h) => !kept.includes(h)) })));
    expect(pruning.ffn).toEqual(plan.keptFfn.map((kept, layer) => ({ layer, kept: kept.length, removed: all(16).filter((d) => !kept.includes(d)) })));
    expect(pruning.heads.flatMap((l: { removed: number[] }) => l.removed)).toHaveLength(plan.counts.heads.pruned);
    expect(pruning.ffn.flatMap((l: { removed: number[] }) => l.removed)).toHaveLength(plan.counts.ffn.pruned);
    expect(pruning.modules).toEqual({ kept: plan.keptModules, removed: plan.removedModules });

    const scores = scoresFromSafetensors(file('scores.safetensors'), 'scores.safetensors');
    expect(scores.headMasks).toEqual(session.lastPrune!.scores.headMasks.map((l) => l.map(Math.fround)));
    expect(scores.modules.map((m) => m.module)).toEqual(session.lastPrune!.scores.modules.map((m) => m.module));

    const report = json(file('report.json'));
    const { predicted, ...planWithout } = plan;
    expect(report).toMatchObject({
      method: 'light-peft',
      phases: { estimation: { steps: 6 }, training: { steps: 4 } },
      parameters: { base: pruned.before.baseParams, trainable: pruned.before.trainableParams },
      evaluation: { accuracy: run.metrics!.accuracy, macroF1: run.metrics!.macroF1 },
      lightPeft: {
        plan: planWithout,
        predicted,
        parameters: { base: { before: pruned.before.baseParams, after: pruned.after.baseParams }, trainable: { before: pruned.before.trainableParams, after: pruned.after.trainableParams } },
        inference: { beforeSeconds: pruned.before.inferenceSeconds, afterSeconds: pruned.after.inferenceSeconds },
        gpuBytes: { beforePrune: pruned.before.gpuBytes, afterPrune: pruned.after.gpuBytes },
        scores: 'scores.safetensors',
        prunedModel: 'pruned-model/',
        prunedAt: { step: 6, trigger: 'auto' },
      },
    });
    expect(report.lightPeft.parameters.base.after).toBeLessThan(report.lightPeft.parameters.base.before);
    expect(report.lightPeft.parameters.peft.after).toBe(session.model!.model.trainableParameterCount(['peft']));
    expect(new TextDecoder().decode(file('curves.csv')).split('\n')[0]).toBe('step,loss,lr,grad_norm,seconds,phase');

    // The pruned model classifies as evaluate() does.
    const model = session.model!.model;
    const p = (await classify(session, 'cheap pills now')).map((r) => r.probability);
    const reference = await evaluatedProbabilities(model, session, 'cheap pills now', OPTIONS.maxLength);
    p.forEach((v, k) => expect(v).toBeCloseTo(reference.probabilities[k], 5));
  });
});

/**
 * What the worker's Light-PEFT training leaves in the session, made here with the engine: the
 * loaded model replaced by a pruned, trained one; the run record with its prune; the plan and scores.
 */
async function lightPeftRunInSession(session: Session): Promise<{ pruned: PruneOutcome; run: RunCurves }> {
  const loaded = session.model!;
  const ctx = await gpuContext();
  const options: TrainOptions = {
    ...OPTIONS,
    method: { kind: 'lora', rank: 4, alpha: 8, targets: ['query', 'key', 'value', 'attention.output.dense', 'intermediate.dense', 'output.dense'] },
    steps: 4,
    lightPeft: { estimateSteps: 6, lambdaHead: 0.01, lambdaFfn: 0.01, ratios: { ...DEFAULT_RATIOS, head: 0.5, ffn: 0.5 }, snapshotEvery: 2 },
  };
  const settings = newRunSettings(loaded, session.data!, options);
  const engine: TrainSettings = { ...settings.engine, lambdaHead: 0.01, lambdaFfn: 0.01, logEvery: 2 };
  settings.engine = engine;
  const model = await buildModel(ctx, { config: loaded.config, weights: loaded.weights, peft: settings.peft, trainMasks: false, seed: options.seed });
  const data = examplesFor(loaded, session.data!);
  const lp = new LightPeftRun(model, loaded.tokenizer!, data, { estimation: { ...engine, steps: 6 }, training: engine, ratios: options.lightPeft!.ratios });
  const measure = (): ModelMeasure => ({
    metrics: null,
    trainStepSeconds: null,
    inferenceSeconds: 0.01,
    gpuBytes: ctx.liveBytes,
    baseParams: model.baseParameterCount(),
    trainableParams: model.trainableParameterCount(),
    shape: { heads: model.layers.map((l) => l.heads), ffn: model.layers.map((l) => l.intermediate) },
  });
  let before: ModelMeasure | null = null;
  let after: ModelMeasure | null = null;
  while (lp.phase !== 'done') await lp.runSteps(Infinity, { beforePrune: () => void (before = measure()), afterPrune: () => void (after = measure()) });
  const { predictions, ...final } = await evaluate(model, loaded.tokenizer!, data.validation, { batchSize: 8, maxLength: engine.maxLength });
  const { plan, scores } = lp.prunedWith!;
  const pruned: PruneOutcome = { step: 6, trigger: 'auto', plan, before: before!, after: { ...after!, metrics: { accuracy: final.accuracy, macroF1: final.macroF1, mcc: final.mcc, count: final.count } } };
  const curves: RunCurves = {
    loss: lp.logs,
    metrics: { accuracy: final.accuracy, macroF1: final.macroF1, mcc: final.mcc, count: final.count },
    evaluations: [...lp.evaluations, { step: lp.step, ...final, seconds: 0.5 }],
    error: null,
    pruned,
  };
  lp.dispose();
  const record: RunRecord = { id: 'lp', name: 'tiny · mail.csv · Light-PEFT', createdAt: 0, updatedAt: 0, step: lp.step, status: 'finished', settings, curves };
  loaded.model.dispose();
  session.model = { ...loaded, model };
  session.lastRun = record;
  session.lastPrune = { plan, scores };
  return { pruned, run: curves };
}
