/**
 * Training in the worker (Node, Dawn on SwiftShader, fake-indexeddb): a run saves checkpoints,
 * stops on request with a checkpoint, is listed, and resumes after a "reload" (a new session on
 * the same IndexedDB) to exactly the losses, validation evaluations and metrics of an uninterrupted run.
 */
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { gpuContext } from '../../../test/helpers';
import { IndexedDbCheckpointStore } from '../../platform/browser/indexeddb-checkpoints';
import type { RunRecord } from '../../engine/train/checkpoint-store';
import { Session } from '../session';
import type { TrainProgress } from '../protocol';
import { TINY_COLUMNS, TINY_TRAIN_OPTIONS, tinyModelFolder, tinySession } from '../../../test/worker-session';
import type { EvalLog } from '../../engine/train/trainer';
import { tinyModelFiles } from '../testing';
import { loadModel } from './load-model';
import { chooseColumns } from './choose-columns';
import { listRuns } from './runs';
import { resumeRun, startTraining, stopTraining } from './train';
import { throttledTrainProgress } from './train-progress';
import { logEveryFor } from '../../engine/train/run-options';
import { runCurvesOf, runSettingsOf } from '../../engine/train/run-record';
import { unzipSync } from 'fflate';
import { exportAdapter } from './export-adapter';

const noProgress = () => {};
/** An evaluation without its timing (which differs from run to run). */
const evalPoints = (logs: EvalLog[]) => logs.map(({ seconds, ...rest }) => rest);
const OPTIONS = TINY_TRAIN_OPTIONS;
const COLUMNS = TINY_COLUMNS;

const tinyFolder = () => tinyModelFolder({});
const readySession = (store: string) => tinySession(store, {});

describe('train, stop and resume', () => {
  it('picks loss read-backs that fall on checkpoints', () => {
    expect([1, 2, 4, 10, 25, 7, 12].map(logEveryFor)).toEqual([1, 2, 4, 5, 5, 5, 4]);
  });

  it('reads runs saved before evaluations, prunes and rollbacks existed as having none, evaluated only at the end', () => {
    const { evalEvery, ...oldOptions } = OPTIONS;
    const settings = { version: 1, model: {}, data: {}, id2label: ['ham', 'spam'], options: oldOptions, engine: { steps: 12 } };
    const old = { id: 'old', name: 'old', createdAt: 0, updatedAt: 0, step: 4, status: 'paused', settings, curves: { loss: [{ step: 4, loss: 0.7, lr: 0, seconds: 1 }], metrics: null, error: null } } as RunRecord;
    expect(runCurvesOf(old)).toEqual({ loss: [{ step: 4, loss: 0.7, lr: 0, seconds: 1 }], metrics: null, evaluations: [], error: null, pruned: null, prunedScores: null, rollbacks: [] });
    expect(runSettingsOf(old)!.options.evalEvery).toBe(0);
    expect(runSettingsOf({ ...old, settings: { ...settings, options: OPTIONS } })!.options.evalEvery).toBe(evalEvery);
  });

  it('resumes a stopped run after a reload to the losses, evaluations and metrics of an uninterrupted run', async () => {
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
    // Every 3 steps but not after the last one, then the final evaluation at the end.
    expect(full.evaluations.map((e) => e.step)).toEqual([3, 6, 9, 12]);
    expect(seen.flatMap((p) => p.newEvaluations.map((e) => e.step))).toEqual([3, 6, 9, 12]);
    expect(seen.filter((p) => p.phase === 'evaluating').map((p) => p.step)).toEqual([3, 6, 9, 12]);
    for (const e of full.evaluations) {
      expect(e.count).toBe(8);
      expect(e.loss).toBeGreaterThan(0);
      expect(e.accuracy).toBeGreaterThanOrEqual(0);
      expect(e.seconds).toBeGreaterThanOrEqual(0);
    }
    expect(full.evaluations.at(-1)!.step).toBe(full.totalSteps); // the final evaluation, after the last step
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
    expect(report).toMatchObject({ status: 'finished', step: 12, metrics: full.metrics, evaluations: full.evaluations });
    const evaluationsCsv = new TextDecoder().decode(zip[names.find((n) => n.endsWith('/evaluations.csv'))!]).trim().split('\n');
    expect(evaluationsCsv[0]).toBe('step,loss,accuracy,macro_f1,mcc');
    expect(evaluationsCsv.slice(1).map((line) => Number(line.split(',')[0]))).toEqual([3, 6, 9, 12]);

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
    expect(evalPoints(paused.evaluations)).toEqual(evalPoints(full.evaluations.slice(0, 1)));
    const [listed] = await listRuns(first);
    expect(listed).toMatchObject({ status: 'paused', step: 5, totalSteps: 12, resumable: true, lastLoss: full.loss[0].loss });
    expect(listed.settings).toMatchObject({ model: { origin: { kind: 'files', folderName: 'tiny' } }, data: { origin: { kind: 'files', train: 'mail.csv' }, columns: COLUMNS }, id2label: ['ham', 'spam'] });
    expect(stopTraining(first)).toBe(false);

    // A reload: a new session on the same IndexedDB must load the same model and data again.
    const other = await readySession('train-resume');
    chooseColumns(other, { ...COLUMNS, seed: 4 });
    await expect(resumeRun(other, paused.runId, noProgress)).rejects.toMatchObject({ name: 'NotReadyError', message: expect.stringContaining('choose them again in 2 Data') });
    const wider = tinyModelFiles({ intermediate: 20 });
    const widerFolder = tinyFolder().map((p) =>
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
    expect(resumedProgress[0].newEvaluations.map((e) => e.step)).toEqual([3]);
    expect(resumedProgress.flatMap((p) => p.newEvaluations.map((e) => e.step))).toEqual([3, 6, 9, 12]);
    expect(stepLoss(resumed.loss)).toEqual(stepLoss(full.loss));
    // An evaluation before the stop (3) and after it (6, 9, and the final one at 12), as uninterrupted.
    expect(evalPoints(resumed.evaluations)).toEqual(evalPoints(full.evaluations));
    expect(resumed.loss[1].seconds).toBeGreaterThan(resumed.loss[0].seconds);
    expect(resumed.metrics).toEqual(full.metrics);
    await expect(resumeRun(reloaded, paused.runId, noProgress)).rejects.toMatchObject({ name: 'SettingError' });
  });

  it('evaluates on resume the step of a checkpoint saved before its evaluation could run (a crash there)', async () => {
    const options = { ...OPTIONS, steps: 8, evalEvery: 4 };
    const full = await startTraining(await readySession('train-eval-straight'), options, noProgress);
    expect(full.evaluations.map((e) => e.step)).toEqual([4, 8]);
    // The page dies right after the checkpoint of step 4, before the evaluation of step 4 ran.
    const crashing = await readySession('train-eval-crash');
    await expect(
      startTraining(crashing, options, (p) => {
        if (p.checkpointStep === 4) throw new Error('the page went away');
      }),
    ).rejects.toThrow('the page went away');
    const [failed] = await listRuns(crashing);
    expect(failed).toMatchObject({ status: 'failed', step: 4, resumable: true });
    const progress: TrainProgress[] = [];
    const resumed = await resumeRun(await readySession('train-eval-crash'), failed.id, (p) => progress.push(structuredClone(p)));
    expect(progress.filter((p) => p.phase === 'evaluating').map((p) => p.step)).toEqual([4, 8]);
    expect(evalPoints(resumed.evaluations)).toEqual(evalPoints(full.evaluations));
    expect(resumed.metrics).toEqual(full.metrics);
  });

  it('refuses an “evaluate every” that is not a whole number of steps ≥ 0', async () => {
    const session = await readySession('train-eval-every');
    for (const evalEvery of [-1, 2.5, Number.NaN]) {
      await expect(startTraining(session, { ...OPTIONS, evalEvery }, noProgress)).rejects.toMatchObject({
        name: 'SettingError',
        message: `“Evaluate every” must be a whole number of steps, 0 or more (0: only at the end), got ${evalEvery}.`,
      });
    }
    expect(await listRuns(session)).toEqual([]);
  });

  it('resumes a version 1 run (saved before runs stored their PEFT configuration) as it was built: no PEFT dropout', async () => {
    const session = await readySession('train-version-1');
    const stopped = await startTraining(session, OPTIONS, (p) => p.step >= 2 && stopTraining(session));
    const store = await IndexedDbCheckpointStore.open('train-version-1');
    const saved = (await store.load(stopped.runId))!;
    const { peft, ...v1 } = saved.run.settings as { peft: unknown; version: number };
    expect(peft).toMatchObject({ kind: 'lora', dropout: 0.05 });
    await store.save({ ...saved.run, settings: { ...v1, version: 1 } }, saved.tensors);
    const resumed = await resumeRun(session, stopped.runId, noProgress);
    expect(resumed).toMatchObject({ status: 'finished', step: 12 });
    expect((await store.load(stopped.runId))!.run.settings).toMatchObject({ version: 2, peft: { kind: 'lora', rank: 4, alpha: 8, dropout: 0 } });
  });

  it('lists a run saved as running but not running here as interrupted, and names the model to load again', async () => {
    const store = await IndexedDbCheckpointStore.open('train-interrupted');
    const session = await readySession('train-interrupted');
    const stopped = await startTraining(session, { ...OPTIONS, steps: 4 }, (p) => p.step >= 1 && stopTraining(session));
    const saved = await store.load(stopped.runId);
    await store.save({ ...saved!.run, status: 'running' }, saved!.tensors);
    const fresh = new Session(gpuContext, () => IndexedDbCheckpointStore.open('train-interrupted'));
    expect((await listRuns(fresh))[0]).toMatchObject({ status: 'interrupted', step: 1, resumable: true });
    await expect(resumeRun(fresh, stopped.runId, noProgress)).rejects.toMatchObject({
      name: 'NotReadyError',
      message: expect.stringContaining('folder “tiny” from this computer: a page cannot reopen local files after a reload'),
    });
  });
});

describe('throttledTrainProgress', () => {
  it('drops step messages within the interval but never loss points, evaluations, checkpoints, phases or the last step', () => {
    let clock = 0;
    const sent: string[] = [];
    const report = throttledTrainProgress((p) => sent.push(`${p.phase}:${p.step}`), 100, () => clock);
    const base: TrainProgress = { runId: 'r', name: 'n', phase: 'training', step: 0, totalSteps: 9, startStep: 0, newLogs: [], newEvaluations: [], stepsPerSecond: null, tokensPerSecond: null, gpuBytes: 0, peakGpuBytes: 0, checkpointStep: 0, stage: null, pruned: null, paused: false, rollbacks: [], recoveries: [] };
    const rollback = { badStep: 5, toStep: 4, loss: NaN, gradNorm: NaN, lrScale: 0.5 };
    const at = (ms: number, patch: Partial<TrainProgress>) => {
      clock = ms;
      report({ ...base, ...patch });
    };
    at(0, { step: 1 });
    at(10, { step: 2 });
    at(20, { step: 3, newLogs: [{ step: 3, loss: 1, lr: 0, seconds: 0 }] });
    at(30, { step: 4, checkpointStep: 4 });
    at(40, { step: 5, checkpointStep: 4 });
    at(45, { step: 4, checkpointStep: 4, rollbacks: [rollback] });
    at(50, { step: 5, checkpointStep: 4, rollbacks: [rollback] });
    at(150, { step: 6, checkpointStep: 4, rollbacks: [rollback] });
    at(160, { step: 6, checkpointStep: 4, phase: 'saving', rollbacks: [rollback] });
    at(165, { step: 6, checkpointStep: 4, phase: 'saving', rollbacks: [rollback] });
    at(168, { step: 6, checkpointStep: 4, phase: 'saving', rollbacks: [rollback], newEvaluations: [{ step: 6, loss: 1, accuracy: 0.5, macroF1: 0.5, mcc: 0, count: 2, seconds: 0 }] });
    at(170, { step: 9, checkpointStep: 4, rollbacks: [rollback] });
    expect(sent).toEqual(['training:1', 'training:3', 'training:4', 'training:4', 'training:6', 'saving:6', 'saving:6', 'training:9']);
  });
});
