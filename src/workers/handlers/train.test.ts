/**
 * Training in the worker (Node, Dawn on SwiftShader, fake-indexeddb): a run saves checkpoints,
 * stops on request with a checkpoint, is listed, and resumes after a "reload" (a new session on
 * the same IndexedDB) to exactly the losses and metrics of an uninterrupted run.
 */
import 'fake-indexeddb/auto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gpuContext } from '../../../test/helpers';
import { CheckpointStore } from '../../engine/io/checkpoints';
import { Session } from '../session';
import type { PickedFile, TrainOptions, TrainProgress } from '../protocol';
import { tinyModelFiles } from '../testing';
import { loadModel } from './load-model';
import { loadData } from './load-data';
import { chooseColumns } from './choose-columns';
import { listRuns } from './runs';
import { logEveryFor, resumeRun, startTraining, stopTraining, throttledTrainProgress } from './train';
import { unzipSync } from 'fflate';
import { exportAdapter } from './export-adapter';

const FIXTURES = join(__dirname, '..', '..', '..', 'test', 'fixtures');
const noProgress = () => {};
const CSV = 'text,label\n' + Array.from({ length: 40 }, (_, i) => `"message number ${i} about ${i % 2 ? 'cheap pills now' : 'the meeting today'}",${i % 2 ? 'spam' : 'ham'}`).join('\n') + '\n';
const COLUMNS = { columns: { text: 'text', textPair: null, label: 'label' }, validationFraction: 0.2, seed: 3 };
const OPTIONS: TrainOptions = {
  method: { kind: 'lora', rank: 4, alpha: 8, targets: ['query', 'value'] },
  steps: 12,
  batchSize: 4,
  lr: 1e-2,
  maxLength: 16,
  seed: 5,
  dropout: true,
  checkpointEvery: 4,
};

function tinyFolder(name = 'tiny'): PickedFile[] {
  const { configJson, safetensors } = tinyModelFiles();
  const file = (path: string, bytes: Uint8Array) => ({ path: `${name}/${path}`, file: new File([bytes as BlobPart], path) });
  return [
    file('config.json', configJson),
    file('model.safetensors', safetensors),
    file('tokenizer.json', readFileSync(join(FIXTURES, 'tokenizer-tiny', 'tokenizer.json'))),
    file('tokenizer_config.json', readFileSync(join(FIXTURES, 'tokenizer-tiny', 'tokenizer_config.json'))),
  ];
}

/** A session (a page) with the tiny model and the CSV loaded and its columns chosen. */
async function readySession(store: string, folder = tinyFolder()): Promise<Session> {
  const session = new Session(gpuContext, () => CheckpointStore.open(store));
  await loadModel(session, { kind: 'files', files: folder }, noProgress);
  await loadData(session, { kind: 'files', train: new File([CSV], 'mail.csv'), validation: null }, noProgress);
  chooseColumns(session, COLUMNS);
  return session;
}

describe('train, stop and resume', () => {
  it('picks loss read-backs that fall on checkpoints', () => {
    expect([1, 2, 4, 10, 25, 7, 12].map(logEveryFor)).toEqual([1, 2, 4, 5, 5, 5, 4]);
  });

  it('resumes a stopped run after a reload to the losses and metrics of an uninterrupted run', async () => {
    const straight = await readySession('train-straight');
    const seen: TrainProgress[] = [];
    const full = await startTraining(straight, OPTIONS, (p) => seen.push(structuredClone(p)));
    expect(full).toMatchObject({ status: 'finished', step: 12, totalSteps: 12 });
    expect(full.loss.map((l) => l.step)).toEqual([4, 8, 12]);
    expect(full.metrics).toMatchObject({ count: 8 });
    expect(full.metrics!.mcc).not.toBeNull();
    expect(full.model.peft).toBe('LoRA r=4, α=8 on query, value');
    expect(seen.map((p) => p.phase)).toContain('evaluating');
    expect(seen.filter((p) => p.checkpointStep !== null).map((p) => p.checkpointStep)).toEqual(expect.arrayContaining([0, 4, 8, 12]));
    expect(seen.flatMap((p) => p.newLogs.map((l) => l.step))).toEqual([4, 8, 12]);
    const withRates = seen.find((p) => p.stepsPerSecond !== null)!;
    expect(withRates.tokensPerSecond).toBeGreaterThan(0);
    expect(withRates.gpuBytes).toBeGreaterThan(0);
    const [finished] = await listRuns(straight);
    expect(finished).toMatchObject({ status: 'finished', step: 12, totalSteps: 12, resumable: false, lastLoss: full.loss[2].loss });
    // The export now carries the training report beside the adapter.
    const zip = unzipSync((await exportAdapter(straight)).bytes);
    const names = Object.keys(zip);
    expect(names.some((n) => n.endsWith('/report.json')) && names.some((n) => n.endsWith('/curves.csv'))).toBe(true);
    const report = JSON.parse(new TextDecoder().decode(zip[names.find((n) => n.endsWith('/report.json'))!]));
    expect(report).toMatchObject({ status: 'finished', step: 12, metrics: full.metrics });

    // Stopped after step 5: the step finishes, a checkpoint is saved, the run is kept as paused.
    const first = await readySession('train-resume');
    let busy: unknown = null;
    const paused = await startTraining(first, OPTIONS, (p) => {
      if (p.step >= 5 && stopTraining(first) && !busy) {
        busy = loadModel(first, { kind: 'files', files: tinyFolder() }, noProgress).catch((e: unknown) => e);
      }
    });
    expect(await busy).toMatchObject({ name: 'TrainingBusyError' });
    expect(paused).toMatchObject({ status: 'paused', step: 5, metrics: null });
    const stepLoss = (logs: { step: number; loss: number }[]) => logs.map((l) => [l.step, l.loss]);
    expect(stepLoss(paused.loss)).toEqual(stepLoss(full.loss.slice(0, 1)));
    const [listed] = await listRuns(first);
    expect(listed).toMatchObject({ status: 'paused', step: 5, totalSteps: 12, resumable: true, lastLoss: full.loss[0].loss });
    expect(listed.settings).toMatchObject({ model: { origin: { kind: 'files', folderName: 'tiny' } }, data: { origin: { kind: 'files', train: 'mail.csv' }, columns: COLUMNS }, id2label: ['ham', 'spam'] });
    expect(stopTraining(first)).toBe(false);

    // A reload: a new session on the same IndexedDB must load the same model and data again.
    const other = await readySession('train-resume');
    chooseColumns(other, { ...COLUMNS, seed: 4 });
    await expect(resumeRun(other, paused.runId, noProgress)).rejects.toMatchObject({ name: 'NotReadyError', message: expect.stringContaining('choose them again in 2 Data') });
    const wider = tinyModelFiles({ intermediate: 20 });
    const widerFolder = tinyFolder('tiny').map((p) =>
      p.file.name === 'config.json' ? { ...p, file: new File([wider.configJson as BlobPart], 'config.json') } : p.file.name === 'model.safetensors' ? { ...p, file: new File([wider.safetensors as BlobPart], 'model.safetensors') } : p,
    );
    await loadModel(other, { kind: 'files', files: widerFolder }, noProgress);
    chooseColumns(other, COLUMNS);
    await expect(resumeRun(other, paused.runId, noProgress)).rejects.toMatchObject({ name: 'NotReadyError', message: expect.stringContaining('folder “tiny”') });

    const reloaded = await readySession('train-resume');
    const resumedProgress: TrainProgress[] = [];
    const resumed = await resumeRun(reloaded, paused.runId, (p) => resumedProgress.push(structuredClone(p)));
    expect(resumed).toMatchObject({ status: 'finished', step: 12, runId: paused.runId });
    expect(resumedProgress[0]).toMatchObject({ startStep: 5, step: 5 });
    expect(resumedProgress[0].newLogs.map((l) => l.step)).toEqual([4]);
    expect(stepLoss(resumed.loss)).toEqual(stepLoss(full.loss));
    expect(resumed.loss[1].seconds).toBeGreaterThan(resumed.loss[0].seconds);
    expect(resumed.metrics).toEqual(full.metrics);
    await expect(resumeRun(reloaded, paused.runId, noProgress)).rejects.toMatchObject({ name: 'SettingError' });
  });

  it('lists a run saved as running but not running here as interrupted, and names the model to load again', async () => {
    const store = await CheckpointStore.open('train-interrupted');
    const session = await readySession('train-interrupted');
    const stopped = await startTraining(session, { ...OPTIONS, steps: 4 }, (p) => p.step >= 1 && stopTraining(session));
    const saved = await store.load(stopped.runId);
    await store.save({ ...saved!.run, status: 'running' }, saved!.tensors);
    const fresh = new Session(gpuContext, () => CheckpointStore.open('train-interrupted'));
    expect((await listRuns(fresh))[0]).toMatchObject({ status: 'interrupted', step: 1, resumable: true });
    await expect(resumeRun(fresh, stopped.runId, noProgress)).rejects.toMatchObject({
      name: 'NotReadyError',
      message: expect.stringContaining('folder “tiny” from this computer: a page cannot reopen local files after a reload'),
    });
  });
});

describe('throttledTrainProgress', () => {
  it('drops step messages within the interval but never loss points, checkpoints, phases or the last step', () => {
    let clock = 0;
    const sent: string[] = [];
    const report = throttledTrainProgress((p) => sent.push(`${p.phase}:${p.step}`), 100, () => clock);
    const base: TrainProgress = { runId: 'r', name: 'n', phase: 'training', step: 0, totalSteps: 9, startStep: 0, newLogs: [], stepsPerSecond: null, tokensPerSecond: null, gpuBytes: 0, peakGpuBytes: 0, checkpointStep: 0 };
    const at = (ms: number, patch: Partial<TrainProgress>) => {
      clock = ms;
      report({ ...base, ...patch });
    };
    at(0, { step: 1 });
    at(10, { step: 2 });
    at(20, { step: 3, newLogs: [{ step: 3, loss: 1, lr: 0, seconds: 0 }] });
    at(30, { step: 4, checkpointStep: 4 });
    at(40, { step: 5, checkpointStep: 4 });
    at(150, { step: 6, checkpointStep: 4 });
    at(160, { step: 6, checkpointStep: 4, phase: 'saving' });
    at(170, { step: 9, checkpointStep: 4 });
    expect(sent).toEqual(['training:1', 'training:3', 'training:4', 'training:6', 'saving:6', 'training:9']);
  });
});
