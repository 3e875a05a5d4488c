/**
 * Setup screen state (zustand): the loaded model and data as the worker described them, what is
 * loading (with byte progress), and the last error of each step. A failed step keeps what was
 * loaded before: only its error is set.
 */
import { create } from 'zustand';
import { useApp, toShown, type ShownError, type Task } from '../store';
import type {
  ColumnSettings,
  DataExamples,
  DataSource,
  DataTables,
  ModelSource,
  ModelSummary,
  RunSummary,
  TokenizeCheckResult,
} from '../../workers/protocol';
import type { ProgressListener } from '../../workers/client';
import { downloadBytes } from './download';

export interface Progress {
  file: string;
  loaded: number;
  total: number | null;
  cached?: boolean;
}

/** A load in flight: what it is (for the UI) and the progress of the file being read. */
export interface Loading {
  what: string;
  progress: Progress | null;
  /** Cancel was clicked; the worker is stopping it and freeing what it built. */
  cancelling?: boolean;
}

export const DEFAULT_SPLIT = { validationFraction: 0.1, seed: 42 };
export const DEFAULT_MAX_LENGTH = 128;

export interface SetupState {
  model: ModelSummary | null;
  modelLoading: Loading | null;
  modelError: ShownError | null;
  /** A neutral word about the last load (it was cancelled), shown instead of an error. */
  modelNote: string | null;

  tables: DataTables | null;
  /** The training file the user picked, kept so a validation file can be added to it later. */
  trainFile: File | null;
  examples: DataExamples | null;
  dataLoading: Loading | null;
  dataError: ShownError | null;
  columnsRunning: boolean;
  columnsError: ShownError | null;

  tokenize: Task<TokenizeCheckResult>;
  exported: Task<{ fileName: string; bytes: number }>;
  runs: Task<RunSummary[]>;

  /** A Hub source may carry an access token: it goes to the worker with this request only and is never kept here. */
  loadModel(source: ModelSource, what: string): Promise<void>;
  /** Cancels the model load in flight; the model loaded before stays. */
  cancelModelLoad(): void;
  /** Shows a problem found before anything reached the worker (an unreadable drop). */
  showModelError(error: unknown): void;
  showDataError(error: unknown): void;
  loadData(source: DataSource, what: string): Promise<void>;
  chooseColumns(settings: ColumnSettings): Promise<void>;
  tokenizeCheck(maxLength: number): Promise<void>;
  exportAdapter(): Promise<void>;
  /** `quiet`: keep showing the list while it is read again (training refreshes it at each checkpoint). */
  refreshRuns(quiet?: boolean): Promise<void>;
  deleteRun(runId: string): Promise<void>;
}

function client() {
  const c = useApp.getState().client;
  if (!c) throw new Error('The engine worker has not started');
  return c;
}

/** What the note says after a cancelled load (hub.ts caches each file only once it has arrived whole). */
export function cancelledNote(source: ModelSource): string {
  return source.kind === 'hub'
    ? 'Download cancelled; nothing was kept. Files that had finished downloading stay in this browser’s cache.'
    : 'Loading cancelled; nothing was kept.';
}

export const useSetup = create<SetupState>()((set, get) => {
  // Outside the state: an AbortController is not something to render.
  let modelAbort: AbortController | null = null;
  const progressInto =
    (key: 'modelLoading' | 'dataLoading'): ProgressListener =>
    (progress) => {
      const loading = get()[key];
      if (loading) set({ [key]: { ...loading, progress } } as Partial<SetupState>);
    };

  return {
    model: null,
    modelLoading: null,
    modelError: null,
    modelNote: null,
    tables: null,
    trainFile: null,
    examples: null,
    dataLoading: null,
    dataError: null,
    columnsRunning: false,
    columnsError: null,
    tokenize: { status: 'idle' },
    exported: { status: 'idle' },
    runs: { status: 'idle' },

    async loadModel(source, what) {
      if (get().modelLoading) return;
      const abort = (modelAbort = new AbortController());
      set({ modelLoading: { what, progress: null }, modelError: null, modelNote: null });
      try {
        const model = await client().loadModel(source, progressInto('modelLoading'), abort.signal);
        set({ model, tokenize: { status: 'idle' }, exported: { status: 'idle' } });
      } catch (error) {
        if (toShown(error).code === 'CANCELLED') set({ modelNote: cancelledNote(source) });
        else set({ modelError: toShown(error) });
      } finally {
        modelAbort = null;
        set({ modelLoading: null });
      }
    },

    cancelModelLoad() {
      const loading = get().modelLoading;
      if (!modelAbort || !loading || loading.cancelling) return;
      set({ modelLoading: { ...loading, cancelling: true } });
      modelAbort.abort();
    },

    showModelError: (error) => set({ modelError: toShown(error) }),
    showDataError: (error) => set({ dataError: toShown(error) }),

    async loadData(source, what) {
      if (get().dataLoading) return;
      set({ dataLoading: { what, progress: null }, dataError: null });
      try {
        const tables = await client().loadData(source, progressInto('dataLoading'));
        set({
          tables,
          trainFile: source.kind === 'files' ? source.train : null,
          examples: null,
          columnsError: null,
          tokenize: { status: 'idle' },
        });
      } catch (error) {
        set({ dataError: toShown(error) });
        return;
      } finally {
        set({ dataLoading: null });
      }
      const { guess } = get().tables!;
      await get().chooseColumns({ columns: { text: guess.text, textPair: guess.textPair, label: guess.label }, ...DEFAULT_SPLIT });
    },

    async chooseColumns(settings) {
      set({ columnsRunning: true, columnsError: null });
      try {
        const examples = await client().chooseColumns(settings);
        set({ examples, tokenize: { status: 'idle' } });
      } catch (error) {
        // The examples built before no longer match the columns on screen.
        set({ examples: null, columnsError: toShown(error), tokenize: { status: 'idle' } });
      } finally {
        set({ columnsRunning: false });
      }
    },

    async tokenizeCheck(maxLength) {
      set({ tokenize: { status: 'running' } });
      try {
        set({ tokenize: { status: 'done', value: await client().tokenizeCheck(maxLength) } });
      } catch (error) {
        set({ tokenize: { status: 'failed', error: toShown(error) } });
      }
    },

    async exportAdapter() {
      set({ exported: { status: 'running' } });
      try {
        const { fileName, bytes } = await client().exportAdapter();
        downloadBytes(bytes, fileName, 'application/zip');
        set({ exported: { status: 'done', value: { fileName, bytes: bytes.byteLength } } });
      } catch (error) {
        set({ exported: { status: 'failed', error: toShown(error) } });
      }
    },

    async refreshRuns(quiet = false) {
      if (!quiet || get().runs.status !== 'done') set({ runs: { status: 'running' } });
      try {
        set({ runs: { status: 'done', value: await client().listRuns() } });
      } catch (error) {
        set({ runs: { status: 'failed', error: toShown(error) } });
      }
    },

    async deleteRun(runId) {
      try {
        set({ runs: { status: 'done', value: await client().deleteRun(runId) } });
      } catch (error) {
        set({ runs: { status: 'failed', error: toShown(error) } });
      }
    },
  };
});
