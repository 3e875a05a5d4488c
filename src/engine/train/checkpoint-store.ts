/**
 * Where training runs and their checkpoints are kept, as the engine and the worker see it: a run
 * record and its latest checkpoint, saved together. The browser's IndexedDB store
 * (src/platform/browser/indexeddb-checkpoints.ts) implements it.
 */

export interface RunRecord {
  id: string;
  name: string;
  createdAt: number;
  updatedAt: number;
  step: number;
  status: 'running' | 'paused' | 'finished' | 'failed';
  /** Everything needed to rebuild the run (model source, data, method, hyper-parameters). */
  settings: unknown;
  /** Loss and metric curves so far. */
  curves: unknown;
  /**
   * What its checkpoint holds, written by the store with it (checkpoint-manifest.ts): load()
   * refuses a checkpoint that does not match. Absent in records saved before it existed.
   */
  checkpoint?: CheckpointManifest;
}

/** Every tensor of a checkpoint with its number of values, and their bytes together. */
export interface CheckpointManifest {
  tensors: Record<string, number>;
  bytes: number;
}

export interface StoredTensor {
  shape: number[];
  data: Float32Array;
}

export interface CheckpointStore {
  /** Most recently updated first. */
  listRuns(): Promise<RunRecord[]>;
  /**
   * Writes the run record (with the checkpoint's manifest) and its checkpoint at once: a crash or
   * a failure mid-save (a full disk: QuotaExceededError) leaves the previous pair intact.
   */
  save(run: RunRecord, tensors: Map<string, StoredTensor>): Promise<void>;
  /** Refuses (CheckpointIncompleteError) a checkpoint that lacks what its record's manifest lists. */
  load(runId: string): Promise<{ run: RunRecord; tensors: Map<string, StoredTensor> } | null>;
  delete(runId: string): Promise<void>;
  close(): void;
}
