/** A saved run resumes only on its own model and data: each difference is refused with what to load again. */
import { describe, expect, it } from 'vitest';
import type { RunRecord } from './checkpoint-store';
import { checkSameData, checkSameModel, type DataIdentity, type ModelIdentity } from './resume-checks';
import { runSettingsOf, type RunSettings } from './run-record';
import type { TrainOptions } from './run-options';

const OPTIONS: TrainOptions = { method: { kind: 'lora', rank: 4, alpha: 8, targets: ['query', 'value'] }, steps: 12, batchSize: 4, lr: 1e-3, maxLength: 16, seed: 5, dropout: true, checkpointEvery: 4, evalEvery: 3 };
const FILES = [{ role: 'train' as const, name: 'mail.csv', bytes: 1200, rows: 40, format: 'csv' }];
const COLUMNS = { columns: { text: 'text', textPair: null, label: 'label' }, validationFraction: 0.2, seed: 3 };
const SHAPE = { layers: 1, hidden: 8, heads: 2, intermediate: 16, vocabSize: 400 };
const MODEL_FILES = [
  { name: 'tiny/config.json', bytes: 300 },
  { name: 'tiny/model.safetensors', bytes: 9000 },
  { name: 'tiny/tokenizer.json', bytes: 5000 },
];

const SETTINGS: RunSettings = {
  version: 2,
  model: { origin: { kind: 'files', folderName: 'tiny' }, name: 'tiny', files: MODEL_FILES, shape: SHAPE },
  data: { origin: { kind: 'files', train: 'mail.csv', validation: null }, files: FILES, columns: COLUMNS, trainCount: 32, validationCount: 8 },
  id2label: ['ham', 'spam'],
  options: OPTIONS,
  peft: { kind: 'lora', rank: 4, alpha: 8, targets: ['query', 'value'], dropout: 0.05 },
  engine: { steps: 12, batchSize: 4, maxLength: 16, seed: 5, lr: 1e-3, warmupRatio: 0.06, weightDecay: 0.1, maskLrMultiplier: 1, lambdaHead: 0, lambdaFfn: 0, dropout: true, logEvery: 4, maxGradNorm: 1, evalEvery: 3 },
};

const MODEL: ModelIdentity = { name: 'tiny', files: MODEL_FILES, shape: SHAPE };
const DATA: DataIdentity = { origin: { kind: 'files', train: 'mail.csv', validation: null }, files: FILES, hasValidationFile: false, columns: COLUMNS, id2label: ['ham', 'spam'], trainCount: 32 };

const refusal = (check: () => void) => {
  try {
    check();
  } catch (e) {
    return { name: (e as Error).name, message: (e as Error).message };
  }
  return null;
};

describe('resume checks', () => {
  it('accept the same model (from another folder path) and the same data', () => {
    expect(refusal(() => checkSameModel({ ...MODEL, name: 'copy', files: MODEL_FILES.map((f) => ({ ...f, name: f.name.replace('tiny/', 'copy/') })) }, SETTINGS))).toBeNull();
    expect(refusal(() => checkSameData(DATA, SETTINGS))).toBeNull();
  });

  it('refuse another model shape or other weights files, naming the model to load', () => {
    const wanted = 'This run trained the model folder “tiny” from this computer: a page cannot reopen local files after a reload, so choose that folder again in 1 Model';
    expect(refusal(() => checkSameModel({ ...MODEL, name: 'wide', shape: { ...SHAPE, intermediate: 20 } }, SETTINGS))).toEqual({ name: 'NotReadyError', message: `${wanted} (now “wide” is loaded), then Resume.` });
    const otherWeights = MODEL_FILES.map((f) => (f.name.endsWith('.safetensors') ? { ...f, bytes: 9004 } : f));
    expect(refusal(() => checkSameModel({ ...MODEL, files: otherWeights }, SETTINGS))?.message).toBe(`${wanted} (now “tiny” is loaded), then Resume.`);
    const hub = { ...SETTINGS, model: { ...SETTINGS.model, origin: { kind: 'hub' as const, modelId: 'owner/name@v1' } } };
    expect(refusal(() => checkSameModel({ ...MODEL, shape: { ...SHAPE, layers: 2 } }, hub))?.message).toBe(
      "This run trained the Hub model owner/name@v1: load it again in 1 Model (it comes from this browser's cache) (now “tiny” is loaded), then Resume.",
    );
  });

  it('refuse another data file, other columns or a split that gives other examples', () => {
    const otherFile = { ...DATA, origin: { kind: 'files' as const, train: 'other.csv', validation: null }, files: [{ ...FILES[0], name: 'other.csv' }] };
    expect(refusal(() => checkSameData(otherFile, SETTINGS))).toEqual({
      name: 'NotReadyError',
      message: 'This run trained on “mail.csv” from this computer: choose that file again in 2 Data (now other.csv is loaded), then Resume.',
    });
    expect(refusal(() => checkSameData({ ...DATA, files: [{ ...FILES[0], rows: 41 }] }, SETTINGS))?.message).toMatch(/^This run trained on “mail.csv”/);
    const otherColumns = { ...DATA, columns: { ...COLUMNS, columns: { ...COLUMNS.columns, label: 'category' } } };
    expect(refusal(() => checkSameData(otherColumns, SETTINGS))?.message).toBe('This run used the columns text “text”, label “label”, 20% held out with seed 3: choose them again in 2 Data, then Resume.');
    expect(refusal(() => checkSameData({ ...DATA, columns: { ...COLUMNS, seed: 4 } }, SETTINGS))?.message).toMatch(/choose them again in 2 Data/);
    // With a validation file the split settings do not matter.
    const withValidation = { ...SETTINGS, data: { ...SETTINGS.data } };
    expect(refusal(() => checkSameData({ ...DATA, hasValidationFile: true, columns: { ...COLUMNS, seed: 4 } }, withValidation))).toBeNull();
    expect(refusal(() => checkSameData({ ...DATA, id2label: ['spam', 'ham'] }, SETTINGS))?.message).toBe(
      'The loaded data does not give the examples this run was trained on (labels ham, spam; 32 training examples); load the data it used, then Resume.',
    );
    expect(refusal(() => checkSameData({ ...DATA, trainCount: 31 }, SETTINGS))?.name).toBe('NotReadyError');
  });
});

describe('run records', () => {
  const record = (settings: unknown): RunRecord => ({ id: 'r', name: 'r', createdAt: 0, updatedAt: 0, step: 4, status: 'paused', settings, curves: null });

  it('read version 1 settings as trained: the method’s PEFT modules without dropout', () => {
    const { version, peft, ...v1 } = SETTINGS;
    const read = runSettingsOf(record({ ...v1, version: 1 }))!;
    expect(read.version).toBe(2);
    expect(read.peft).toEqual({ kind: 'lora', rank: 4, alpha: 8, targets: ['query', 'value'], dropout: 0 });
    expect(read.engine).toEqual(SETTINGS.engine);
    const adapter = runSettingsOf(record({ ...v1, version: 1, options: { ...OPTIONS, method: { kind: 'adapter', size: 6 } } }))!;
    expect(adapter.peft).toEqual({ kind: 'adapter', size: 6, activation: 'relu', dropout: 0 });
  });

  it('keep version 2 settings, and refuse records of another version or shape', () => {
    expect(runSettingsOf(record(SETTINGS))).toEqual(SETTINGS);
    expect(runSettingsOf(record({ ...SETTINGS, version: 3 }))).toBeNull();
    expect(runSettingsOf(record({ lr: 1e-3 }))).toBeNull();
    expect(runSettingsOf(record(null))).toBeNull();
  });
});
