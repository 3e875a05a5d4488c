/**
 * The engine's CheckpointStore in IndexedDB (through `idb`), so a reload or a crash resumes where
 * training was. One checkpoint per run (the latest), written with its run record in a single
 * transaction that is aborted on any failure: a crash, a full disk or a failed put mid-save
 * leaves the previous record and checkpoint intact, and load() refuses a checkpoint that does not
 * match its record's manifest. Other tabs share the database: when one wants to upgrade it
 * (`versionchange`), this connection closes at once so neither tab hangs, and reopens on next use.
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { CheckpointStore, RunRecord, StoredTensor } from '../../engine/train/checkpoint-store';
import { checkWholeCheckpoint, manifestOf } from '../../engine/train/checkpoint-manifest';
import { StorageBlockedError } from '../../errors';

interface Schema extends DBSchema {
  runs: { key: string; value: RunRecord; indexes: { updatedAt: number } };
  checkpoints: { key: string; value: { runId: string; tensors: Record<string, StoredTensor> } };
}

const VERSION = 1;
/** How long an open may wait on another tab that holds the database before it is refused. */
const OPEN_TIMEOUT_MS = 10_000;

export interface StoreOptions {
  /** For tests: how long an open waits on other tabs (OPEN_TIMEOUT_MS). */
  openTimeoutMs?: number;
}

export class IndexedDbCheckpointStore implements CheckpointStore {
  private db: Promise<IDBPDatabase<Schema>> | null;

  private constructor(
    private readonly name: string,
    private readonly options: StoreOptions,
    first: IDBPDatabase<Schema>,
  ) {
    this.db = Promise.resolve(first);
  }

  /** Opens (and on first use creates) the database through the global `indexedDB`. */
  static async open(name = 'light-peft-studio', options: StoreOptions = {}): Promise<IndexedDbCheckpointStore> {
    let store: IndexedDbCheckpointStore | null = null;
    const db = await openDatabase(name, options, () => store?.dropConnection());
    store = new IndexedDbCheckpointStore(name, options, db);
    return store;
  }

  /** Most recently updated first. */
  async listRuns(): Promise<RunRecord[]> {
    return (await (await this.connection()).getAllFromIndex('runs', 'updatedAt')).reverse();
  }

  async save(run: RunRecord, tensors: Map<string, StoredTensor>): Promise<void> {
    const record: RunRecord = { ...run, checkpoint: manifestOf(tensors) };
    const tx = (await this.connection()).transaction(['runs', 'checkpoints'], 'readwrite');
    const requests: Promise<unknown>[] = [];
    try {
      requests.push(tx.objectStore('checkpoints').put({ runId: run.id, tensors: Object.fromEntries(tensors) }));
      requests.push(tx.objectStore('runs').put(record));
      await Promise.all([...requests, tx.done]);
    } catch (error) {
      for (const request of requests) request.catch(() => {}); // they fail with the abort below
      // A put that throws (a value that cannot be stored) does not abort the transaction by itself:
      // the other put would commit alone. Abort, so nothing of this save is kept.
      try {
        tx.abort();
      } catch {
        // already aborted (a quota error, a failed request) or finished
      }
      tx.done.catch(() => {});
      throw error;
    }
  }

  async load(runId: string): Promise<{ run: RunRecord; tensors: Map<string, StoredTensor> } | null> {
    const tx = (await this.connection()).transaction(['runs', 'checkpoints'], 'readonly');
    const [run, checkpoint] = await Promise.all([tx.objectStore('runs').get(runId), tx.objectStore('checkpoints').get(runId), tx.done]);
    if (!run) return null;
    const tensors = checkpoint ? new Map(Object.entries(checkpoint.tensors)) : null;
    checkWholeCheckpoint(run, tensors);
    return { run, tensors: tensors ?? new Map() };
  }

  async delete(runId: string): Promise<void> {
    const tx = (await this.connection()).transaction(['runs', 'checkpoints'], 'readwrite');
    await Promise.all([tx.objectStore('runs').delete(runId), tx.objectStore('checkpoints').delete(runId), tx.done]);
  }

  close(): void {
    const db = this.db;
    this.db = null;
    void db?.then((d) => d.close()).catch(() => {});
  }

  /** The open connection, reopened when another tab's upgrade closed it. */
  private connection(): Promise<IDBPDatabase<Schema>> {
    this.db ??= openDatabase(this.name, this.options, () => this.dropConnection());
    this.db.catch(() => (this.db = null));
    return this.db;
  }

  /** Another tab wants to upgrade or delete the database: let it (closing blocks nothing then). */
  private dropConnection(): void {
    this.close();
  }
}

function openDatabase(name: string, options: StoreOptions, onVersionChange: () => void): Promise<IDBPDatabase<Schema>> {
  const timeoutMs = options.openTimeoutMs ?? OPEN_TIMEOUT_MS;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let timedOut = false;
  const opening = openDB<Schema>(name, VERSION, {
    upgrade(db) {
      db.createObjectStore('runs', { keyPath: 'id' }).createIndex('updatedAt', 'updatedAt');
      db.createObjectStore('checkpoints', { keyPath: 'runId' });
    },
    blocking: onVersionChange,
    // The browser closed the connection (storage cleared, a disk error): the next use reopens.
    terminated: onVersionChange,
  }).then(
    (db) => {
      clearTimeout(timer);
      if (timedOut) db.close(); // too late: the caller was told already
      return db;
    },
    (error: unknown) => {
      clearTimeout(timer);
      if ((error as { name?: string } | null)?.name === 'VersionError') {
        throw new StorageBlockedError('A newer version of this app has upgraded its storage in another tab: reload this tab to use it (your saved runs are kept).');
      }
      throw error;
    },
  );
  // An open waits while another tab's upgrade (or deletion) of the database waits on connections
  // that do not close: say so instead of hanging.
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      timedOut = true;
      reject(new StorageBlockedError(`This app's storage is held by another tab (it is being upgraded or cleared there): close the app's other tabs, then reload this one. Nothing was saved or changed.`));
    }, timeoutMs);
  });
  return Promise.race([opening, timeout]);
}
