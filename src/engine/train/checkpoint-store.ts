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
}

export interface StoredTensor {
  shape: number[];
  data: Float32Array;
}

export interface CheckpointStore {
  /** Most recently updated first. */
  listRuns(): Promise<RunRecord[]>;
  /** Writes the run record and its checkpoint at once: a crash mid-save leaves the previous pair intact. */
  save(run: RunRecord, tensors: Map<string, StoredTensor>): Promise<void>;
  load(runId: string): Promise<{ run: RunRecord; tensors: Map<string, StoredTensor> } | null>;
  delete(runId: string): Promise<void>;
  close(): void;
}
