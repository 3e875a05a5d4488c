/**
 * Saved runs under stress in the worker (Node, Dawn on SwiftShader, fake-indexeddb; two sessions
 * on one database are two tabs, sharing the run locks of this process): a second tab cannot
 * resume or delete a run the first trains, and the first finishes unharmed; a full disk pauses the
 * run with what to delete, keeps the previous checkpoint, and saves when the person continues.
 */
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { tinySession } from '../../../test/worker-session';
import { IndexedDbCheckpointStore } from '../../platform/browser/indexeddb-checkpoints';
import type { CheckpointStore, RunRecord, StoredTensor } from '../../engine/train/checkpoint-store';
import { runCurvesOf } from '../../engine/train/run-record';
import { errorCodeOf } from '../../errors';
import { Session } from '../session';
import type { TrainOptions, TrainProgress, TrainResult } from '../protocol';
import { deleteRun, listRuns } from './runs';
import { resumeRun, startTraining, stopTraining } from './train';
import { continueTraining, pauseTraining } from './run-actions';
import { gpuContext } from '../../../test/helpers';

const OPTIONS: TrainOptions = {
  method: { kind: 'lora', rank: 2, alpha: 4, targets: ['query', 'value'] },
  steps: 12,
  batchSize: 4,
  lr: 1e-2,
  maxLength: 16,
  seed: 5,
  dropout: true,
  checkpointEvery: 4,
  evalEvery: 0,
};
const SHAPE = {};
const losses = (result: TrainResult) => result.loss.map((p) => [p.step, p.loss]);
const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => null,
    (error: unknown) => error as Error,
  );

/** A session that pauses its run (through pauseTraining, as the page does) once `when` holds for a progress message. */
function pauseWhen(when: (p: TrainProgress) => boolean) {
  let paused: (p: TrainProgress) => void;
  const reached = new Promise<TrainProgress>((resolve) => (paused = resolve));
  let done = false;
  return {
    reached,
    report: (session: () => Session) => (p: TrainProgress) => {
      if (!done && when(p)) {
        done = true;
        pauseTraining(session());
        paused(p);
      }
    },
  };
}

let baseline: Promise<TrainResult> | null = null;
/** The same run, uninterrupted and alone. */
function uninterrupted(): Promise<TrainResult> {
  baseline ??= tinySession('storage-baseline', SHAPE).then((s) => startTraining(s, OPTIONS, () => {}));
  return baseline;
}

describe('two tabs on one run', () => {
  it('refuses the second tab’s resume and delete while the first trains, touching nothing; the first finishes unharmed', async () => {
    const first = await tinySession('storage-two-tabs', SHAPE);
    const pause = pauseWhen((p) => p.checkpointStep === 4 && p.step >= 5);
    const running = startTraining(first, OPTIONS, pause.report(() => first));
    const { runId } = await pause.reached;
    const store = await IndexedDbCheckpointStore.open('storage-two-tabs');
    const before = await store.load(runId);

    const second = await tinySession('storage-two-tabs', SHAPE); // the same model and data, in another tab
    const listed = (await listRuns(second)).find((r) => r.id === runId)!;
    expect(listed.status).toBe('running'); // not "interrupted": a tab holds it
    expect(listed.resumable).toBe(false);
    const resume = await failure(resumeRun(second, runId, () => {}));
    expect(errorCodeOf(resume)).toBe('RUN_OPEN_ELSEWHERE');
    expect(resume!.message).toMatch(/^This run is open in another tab: “.+” is training there, so this tab cannot resume it\. Switch to that tab and stop it there/);
    const remove = await failure(deleteRun(second, runId));
    expect(errorCodeOf(remove)).toBe('RUN_OPEN_ELSEWHERE');
    expect(remove!.message).toMatch(/cannot delete it/);
    expect(second.training).toBeNull();
    expect(await store.load(runId)).toEqual(before); // neither attempt wrote anything

    continueTraining(first);
    const result = await running;
    expect(result.status).toBe('finished');
    expect(losses(result)).toEqual(losses(await uninterrupted()));
    // Once the first tab is done, the second may delete it.
    expect((await deleteRun(second, runId)).some((r) => r.id === runId)).toBe(false);
    store.close();
  });

  it('refuses a resume whose run another tab saved again after this tab read it', async () => {
    const session = await tinySession('storage-stale', SHAPE);
    const stopped = startTraining(session, { ...OPTIONS, steps: 40 }, (p) => p.step >= 1 && stopTraining(session));
    const { runId } = await stopped;
    const store = await IndexedDbCheckpointStore.open('storage-stale');
    const saved = (await store.load(runId))!;
    // The page's resume reads the record, then (before the lock) another tab saves the run again.
    const racing = new Session(gpuContext, async () => ({
      listRuns: () => store.listRuns(),
      load: async (id: string) => {
        const loaded = await store.load(id);
        await store.save({ ...saved.run, updatedAt: saved.run.updatedAt + 1 }, saved.tensors);
        return loaded;
      },
      save: (run: RunRecord, tensors: Map<string, StoredTensor>) => store.save(run, tensors),
      delete: (id: string) => store.delete(id),
      close: () => {},
    }));
    racing.model = session.model;
    racing.data = session.data;
    const error = await failure(resumeRun(racing, runId, () => {}));
    expect(errorCodeOf(error)).toBe('NOT_READY');
    expect(error!.message).toMatch(/saved again in another tab .* click Resume again/);
    store.close();
  });
});

/** The IndexedDB store with a disk that fills up on request: saves then fail as Chromium's do, with a QuotaExceededError. */
async function fillingStore(name: string) {
  const store = await IndexedDbCheckpointStore.open(name);
  const disk = { full: false, refused: 0 };
  const filling: CheckpointStore = {
    listRuns: () => store.listRuns(),
    load: (id) => store.load(id),
    delete: (id) => store.delete(id),
    close: () => store.close(),
    async save(run, tensors) {
      if (disk.full) {
        disk.refused++;
        throw new DOMException('The transaction was aborted: the quota was exceeded.', 'QuotaExceededError');
      }
      return store.save(run, tensors);
    },
  };
  return { store, filling, disk };
}

describe('a full disk', () => {
  it('pauses the run with what the runs take and what to delete, keeps the previous checkpoint, and saves when continued', async () => {
    const { store, filling, disk } = await fillingStore('storage-full');
    // An older run that takes room: the one to delete.
    const big = new Map([['w', { shape: [4096], data: new Float32Array(4096) }]]);
    await store.save({ id: 'old', name: 'an old big run', createdAt: 0, updatedAt: 1, step: 3, status: 'paused', settings: null, curves: null }, big);
    const session = await tinySession('storage-full', SHAPE);
    const withDisk = new Session(gpuContext, async () => filling);
    withDisk.model = session.model;
    withDisk.data = session.data;

    let full: TrainProgress | null = null;
    let fullSeen: (p: TrainProgress) => void;
    const fullReached = new Promise<TrainProgress>((resolve) => (fullSeen = resolve));
    const running = startTraining(withDisk, OPTIONS, (p) => {
      if (p.checkpointStep === 4) disk.full = true; // the next checkpoint (step 8) does not fit
      if (p.storageFull && !full) {
        full = p;
        fullSeen(p);
      }
    });
    const progress = await fullReached;
    const report = progress.storageFull!;
    expect(progress.paused).toBe(true);
    expect(progress.step).toBe(8);
    expect(report.runId).toBe(progress.runId);
    expect(report.candidates.map((r) => r.id)).toEqual(['old']);
    expect(report.candidates[0].bytes).toBeGreaterThan(4096 * 4);
    expect(report.current!.bytes).toBeGreaterThan(0);
    expect(report.runsBytes).toBe(report.candidates[0].bytes + report.current!.bytes);
    const kept = (await store.load(progress.runId))!;
    expect(kept.run.step).toBe(4); // the previous checkpoint, whole
    expect(kept.tensors.size).toBe(Object.keys(kept.run.checkpoint!.tensors).length);

    // Still full: Continue tries again and pauses again with the same advice.
    continueTraining(withDisk);
    while (disk.refused < 2) await new Promise((resolve) => setTimeout(resolve, 20));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(disk.refused).toBe(2);
    expect(withDisk.training?.control.paused).toBe(true);
    // The person deletes the old run (room again) and continues: the checkpoint of step 8 is saved.
    await deleteRun(withDisk, 'old');
    disk.full = false;
    continueTraining(withDisk);
    const result = await running;
    expect(result.status).toBe('finished');
    expect(losses(result)).toEqual(losses(await uninterrupted()));
    const saved = (await store.load(result.runId))!;
    expect(saved.run.step).toBe(12);
    expect(runCurvesOf(saved.run).loss.map((p) => p.step)).toContain(8);
    store.close();
  });

  it('fails a stop that cannot be saved with StorageFullError, keeping the previous checkpoint to resume from', async () => {
    const { store, filling, disk } = await fillingStore('storage-full-stop');
    const session = await tinySession('storage-full-stop', SHAPE);
    const withDisk = new Session(gpuContext, async () => filling);
    withDisk.model = session.model;
    withDisk.data = session.data;
    let runId = '';
    const running = startTraining(withDisk, OPTIONS, (p) => {
      runId = p.runId;
      if (p.checkpointStep === 4) disk.full = true;
      if (p.storageFull) stopTraining(withDisk);
    });
    const error = await failure(running);
    expect(errorCodeOf(error)).toBe('STORAGE_FULL');
    expect(error!.message).toMatch(/storage for the app is full: the checkpoint could not be saved\. Saved runs take [\d.]+ KiB\. There are no other saved runs to delete.* The run has stopped; its earlier checkpoint \(step 4\) is kept: after making room, Resume it/);
    const kept = (await store.load(runId))!;
    expect(kept.run.step).toBe(4);
    expect((await listRuns(session)).find((r) => r.id === runId)?.resumable).toBe(true);
    store.close();
  });
});
