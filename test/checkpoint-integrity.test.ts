/**
 * IndexedDB checkpoints that must not tear (Node, fake-indexeddb): a save that fails half-way
 * (either put, or the transaction aborted mid-save as a full disk aborts it) leaves the previous
 * record and checkpoint, and that pair is what load() returns; load() refuses a checkpoint that
 * lacks what its record's manifest lists; another tab's upgrade never leaves either tab hanging.
 */
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { IndexedDbCheckpointStore } from '../src/platform/browser/indexeddb-checkpoints';
import type { RunRecord, StoredTensor } from '../src/engine/train/checkpoint-store';
import { errorCodeOf } from '../src/errors';

const record = (step: number, extra: Partial<RunRecord> = {}): RunRecord => ({ id: 'r', name: 'tiny run', createdAt: 1, updatedAt: step, step, status: 'running', settings: { lr: 1e-3 }, curves: { loss: [step] }, ...extra });
const tensors = (value: number): Map<string, StoredTensor> =>
  new Map([
    ['w', { shape: [2], data: Float32Array.of(value, value) }],
    ['adam.m', { shape: [3], data: Float32Array.of(value, value, value) }],
  ]);
let dbCount = 0;
const freshName = () => `integrity-${++dbCount}`;

/** The store's first save (step 1), whose pair every failed save below must leave as it is. */
async function storeWithFirstSave(): Promise<IndexedDbCheckpointStore> {
  const store = await IndexedDbCheckpointStore.open(freshName());
  await store.save(record(1), tensors(1));
  return store;
}

async function expectFirstSaveIntact(store: IndexedDbCheckpointStore): Promise<void> {
  const loaded = await store.load('r');
  expect(loaded?.run.step).toBe(1);
  expect(loaded?.run.curves).toEqual({ loss: [1] });
  expect(loaded?.run.checkpoint).toEqual({ tensors: { w: 2, 'adam.m': 3 }, bytes: 20 });
  expect([...loaded!.tensors.get('w')!.data]).toEqual([1, 1]);
  expect([...loaded!.tensors.get('adam.m')!.data]).toEqual([1, 1, 1]);
  expect((await store.listRuns()).map((r) => r.step)).toEqual([1]);
}

afterEach(() => vi.restoreAllMocks());

describe('a save that fails half-way', () => {
  it('writes the manifest of what the checkpoint holds into the record', async () => {
    const store = await storeWithFirstSave();
    await expectFirstSaveIntact(store);
    store.close();
  });

  it('keeps the previous pair when the checkpoint cannot be stored', async () => {
    const store = await storeWithFirstSave();
    const bad = tensors(2);
    bad.set('broken', { shape: [1], data: (() => 0) as unknown as Float32Array }); // not cloneable: the put throws
    await expect(store.save(record(2), bad)).rejects.toThrow();
    await expectFirstSaveIntact(store);
    store.close();
  });

  it('keeps the previous pair when the second put (the record) fails after the checkpoint was put', async () => {
    const store = await storeWithFirstSave();
    const unstorable = record(2, { settings: { callback: () => 0 } }); // the record's put throws, after the checkpoint's succeeded
    await expect(store.save(unstorable, tensors(2))).rejects.toThrow();
    await expectFirstSaveIntact(store);
    store.close();
  });

  it('keeps the previous pair when the transaction aborts mid-save (as a full disk aborts it)', async () => {
    const store = await storeWithFirstSave();
    const put = IDBObjectStore.prototype.put;
    let puts = 0;
    vi.spyOn(IDBObjectStore.prototype, 'put').mockImplementation(function (this: IDBObjectStore, ...args: Parameters<typeof put>) {
      const request = put.apply(this, args);
      if (++puts === 2) this.transaction.abort(); // after the first put landed, before the commit
      return request;
    });
    await expect(store.save(record(2), tensors(2))).rejects.toThrow();
    vi.restoreAllMocks();
    await expectFirstSaveIntact(store);
    // The store still works: the next save lands whole.
    await store.save(record(3), tensors(3));
    expect((await store.load('r'))?.run.step).toBe(3);
    store.close();
  });
});

describe('load refuses a torn checkpoint', () => {
  /** Writes a record and a checkpoint that disagree, as a torn write (or a foreign writer) would leave them. */
  async function writeRaw(name: string, run: RunRecord, stored: Record<string, StoredTensor> | null): Promise<void> {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const open = indexedDB.open(name, 1);
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => reject(open.error);
    });
    const tx = db.transaction(['runs', 'checkpoints'], 'readwrite');
    tx.objectStore('runs').put(run);
    if (stored) tx.objectStore('checkpoints').put({ runId: run.id, tensors: stored });
    await new Promise((resolve) => (tx.oncomplete = resolve));
    db.close();
  }

  it.each([
    ['a tensor missing', { w: { shape: [2], data: Float32Array.of(1, 1) } }, /1 of its 2 tensors missing, e\.g\. adam\.m/],
    ['a tensor cut short', { w: { shape: [2], data: Float32Array.of(1) }, 'adam.m': { shape: [3], data: Float32Array.of(1, 1, 1) } }, /w has 1 of its 2 values/],
    ['a tensor of another save', { w: { shape: [2], data: Float32Array.of(1, 1) }, 'adam.m': { shape: [3], data: Float32Array.of(1, 1, 1) }, 'adam.v': { shape: [1], data: Float32Array.of(1) } }, /does not list, e\.g\. adam\.v/],
    ['no checkpoint at all', null, /none of its 2 tensors is stored/],
  ])('with %s', async (_, stored, message) => {
    const name = freshName();
    const store = await IndexedDbCheckpointStore.open(name);
    await writeRaw(name, record(1, { checkpoint: { tensors: { w: 2, 'adam.m': 3 }, bytes: 20 } }), stored as Record<string, StoredTensor> | null);
    const error = await store.load('r').then(
      () => null,
      (e: unknown) => e,
    );
    expect(errorCodeOf(error)).toBe('CHECKPOINT_INCOMPLETE');
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).toMatch(/“tiny run” is incomplete .* cannot be resumed\. Delete this run and start it again\./);
    store.close();
  });

  it('still loads a record saved before manifests existed', async () => {
    const name = freshName();
    const store = await IndexedDbCheckpointStore.open(name);
    await writeRaw(name, record(1), { w: { shape: [2], data: Float32Array.of(1, 1) } });
    expect([...(await store.load('r'))!.tensors.keys()]).toEqual(['w']);
    store.close();
  });
});

describe('another tab upgrading the database', () => {
  const openRaw = (name: string, version: number) =>
    new Promise<IDBDatabase>((resolve, reject) => {
      const open = indexedDB.open(name, version);
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => reject(open.error);
    });

  it('is not blocked by this tab, which then asks to be reloaded instead of failing obscurely', async () => {
    const name = freshName();
    const store = await IndexedDbCheckpointStore.open(name);
    await store.save(record(1), tensors(1));
    // The other tab's upgrade completes: this tab's connection closed itself on versionchange.
    const newer = await Promise.race([openRaw(name, 2), new Promise<null>((resolve) => setTimeout(() => resolve(null), 2000))]);
    expect(newer).not.toBeNull();
    newer!.close();
    const error = await store.listRuns().then(
      () => null,
      (e: unknown) => e,
    );
    expect(errorCodeOf(error)).toBe('STORAGE_BLOCKED');
    expect((error as Error).message).toMatch(/newer version of this app .* reload this tab/);
  });

  it('refuses to wait forever on a tab that holds the database through an upgrade', async () => {
    const name = freshName();
    const stubborn = await openRaw(name, 1); // never closes on versionchange
    const upgrade = indexedDB.open(name, 2); // blocked by it
    const blocked = new Promise((resolve) => (upgrade.onblocked = resolve));
    await blocked;
    const started = performance.now();
    const error = await IndexedDbCheckpointStore.open(name, { openTimeoutMs: 300 }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(errorCodeOf(error)).toBe('STORAGE_BLOCKED');
    expect((error as Error).message).toMatch(/held by another tab .* close the app's other tabs, then reload/);
    expect(performance.now() - started).toBeLessThan(2000);
    stubborn.close(); // the upgrade goes through; nothing is left waiting
    await new Promise((resolve) => (upgrade.onsuccess = resolve));
    upgrade.result.close();
  });
});
