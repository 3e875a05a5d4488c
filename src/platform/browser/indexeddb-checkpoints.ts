/**
 * The engine's CheckpointStore in IndexedDB (through `idb`), so a reload or a crash resumes where
 * training was. One checkpoint per run (the latest), written with its run record in a single
 * transaction: a crash mid-save leaves the previous checkpoint intact.
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { CheckpointStore, RunRecord, StoredTensor } from '../../engine/train/checkpoint-store';

interface Schema extends DBSchema {
  runs: { key: string; value: RunRecord; indexes: { updatedAt: number } };
  checkpoints: { key: string; value: { runId: string; tensors: Record<string, StoredTensor> } };
}

export class IndexedDbCheckpointStore implements CheckpointStore {
  private constructor(private readonly db: IDBPDatabase<Schema>) {}

  /** Opens (and on first use creates) the database through the global `indexedDB`. */
  static async open(name = 'light-peft-studio'): Promise<IndexedDbCheckpointStore> {
    const db = await openDB<Schema>(name, 1, {
      upgrade(db) {
        db.createObjectStore('runs', { keyPath: 'id' }).createIndex('updatedAt', 'updatedAt');
        db.createObjectStore('checkpoints', { keyPath: 'runId' });
      },
    });
    return new IndexedDbCheckpointStore(db);
  }

  /** Most recently updated first. */
  async listRuns(): Promise<RunRecord[]> {
    return (await this.db.getAllFromIndex('runs', 'updatedAt')).reverse();
  }

  async save(run: RunRecord, tensors: Map<string, StoredTensor>): Promise<void> {
    const tx = this.db.transaction(['runs', 'checkpoints'], 'readwrite');
    await Promise.all([
      tx.objectStore('runs').put(run),
      tx.objectStore('checkpoints').put({ runId: run.id, tensors: Object.fromEntries(tensors) }),
      tx.done,
    ]);
  }

  async load(runId: string): Promise<{ run: RunRecord; tensors: Map<string, StoredTensor> } | null> {
    const tx = this.db.transaction(['runs', 'checkpoints'], 'readonly');
    const [run, checkpoint] = await Promise.all([tx.objectStore('runs').get(runId), tx.objectStore('checkpoints').get(runId), tx.done]);
    if (!run) return null;
    return { run, tensors: new Map(Object.entries(checkpoint?.tensors ?? {})) };
  }

  async delete(runId: string): Promise<void> {
    const tx = this.db.transaction(['runs', 'checkpoints'], 'readwrite');
    await Promise.all([tx.objectStore('runs').delete(runId), tx.objectStore('checkpoints').delete(runId), tx.done]);
  }

  close(): void {
    this.db.close();
  }
}
