/**
 * The typed messages between the UI and the engine worker (DESIGN §2.6).
 * Every request carries an `id`; the worker answers each one with exactly one reply of the
 * matching type and the same id, or with an `ErrorReply` (name = the engine error class name).
 * While a request runs, the worker may post `progress` messages with the request's id.
 * Unsolicited messages (device lost) carry no id.
 * To add a command: add its request and reply here, a handler in handlers/ (wired in
 * engine.worker.ts) and a method in client.ts.
 */
import type { ColumnChoice, ColumnGuess, LabelBalance, TablePreview } from '../engine/io/datasets';

/** What the worker found when it acquired the GPU. */
export interface GpuSummary {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  features: string[];
  maxStorageBufferBindingSizeMiB: number;
  maxBufferSizeMiB: number;
  /** The global scope the engine runs in, e.g. "DedicatedWorkerGlobalScope". */
  scope: string;
}

export interface SelfCheckResult {
  /** Human-readable problem, e.g. "matmul 70×50 · 50×33 + bias". */
  problem: string;
  /** Largest |gpu − cpu| relative to the largest |cpu|. */
  maxRelativeError: number;
  /** Wall time of the first run (pipeline compile, kernel, read-back), in milliseconds. */
  firstRunMs: number;
  /** Wall time of a second run (kernel and read-back), in milliseconds. */
  gpuMs: number;
  /** Time of the CPU reference, in milliseconds. */
  cpuMs: number;
  scope: string;
}

/** Figures from bench/suite.ts; kept opaque here so the protocol does not depend on bench code. */
export type BenchReport = Record<string, unknown>;

// ---- Setup: model --------------------------------------------------------------------------

/** A file the user picked or dropped, with its path inside the chosen folder ("my-model/config.json"). */
export interface PickedFile {
  path: string;
  file: File;
}

/** Where a model comes from. `demo.url` is the absolute URL of the app's own demo/model/ folder. */
export type ModelSource =
  | { kind: 'demo'; url: string }
  | { kind: 'files'; files: PickedFile[] }
  | { kind: 'hub'; modelId: string };

export interface TokenizerSummary {
  /** Highest token id + 1. */
  vocabSize: number;
  /** The file the vocabulary came from. */
  source: string;
  /** tokenizer_config.json's model_max_length, when it gives one. */
  modelMaxLength: number | null;
}

export interface ModelSummary {
  /** How the model is named in the UI and in exports: the folder, Hub id or "demo". */
  name: string;
  sourceKind: ModelSource['kind'];
  modelType: string;
  layers: number;
  hidden: number;
  heads: number;
  intermediate: number;
  vocabSize: number;
  maxPositions: number;
  /** Longest input the position table allows (RoBERTa: max_position_embeddings − pad_token_id − 1). */
  maxTokens: number;
  /** Frozen base model parameters (embeddings and encoder). */
  parameters: number;
  /** Parameters that training updates (the PEFT modules and the head). */
  trainableParameters: number;
  /** The PEFT set-up the model was built with, in words (e.g. "LoRA r=8, α=16 on query, value"). */
  peft: string;
  id2label: string[];
  /** The checkpoint has no classification head: a fresh one was made. */
  freshHead: boolean;
  tokenizer: TokenizerSummary | null;
  /** Why the tokenizer cannot be used (missing, or does not fit the vocabulary); null when it can. */
  tokenizerProblem: string | null;
  /** Bytes of GPU memory the engine holds after the load. */
  gpuBytes: number;
  /** The model files that were read, with their sizes. */
  files: { name: string; bytes: number }[];
}

// ---- Setup: data ---------------------------------------------------------------------------

/** Where a dataset comes from. `demo.url` is the absolute URL of the app's demo/data/ folder. */
export type DataSource =
  | { kind: 'demo'; url: string }
  | { kind: 'files'; train: File; validation: File | null };

export interface DataFileSummary {
  role: 'train' | 'validation';
  name: string;
  bytes: number;
  rows: number;
  format: string;
}

/** A parsed dataset before its columns are interpreted. */
export interface DataTables {
  files: DataFileSummary[];
  /** Columns of the training file, in file order. */
  columns: string[];
  guess: ColumnGuess;
  previewTrain: TablePreview;
  previewValidation: TablePreview | null;
}

export interface ColumnSettings {
  columns: ColumnChoice;
  /** Share of the training file held out for validation, when there is no validation file. */
  validationFraction: number;
  seed: number;
}

/** Examples built from the chosen columns. */
export interface DataExamples {
  settings: ColumnSettings;
  id2label: string[];
  trainCount: number;
  validationCount: number;
  /** 'file': a validation file was given; 'split': held out of the training file (seeded). */
  validationFrom: 'file' | 'split';
  trainBalance: LabelBalance;
  validationBalance: LabelBalance;
  /** Rows left out (blank text): the total and the first few. */
  skipped: { total: number; first: { file: string; line: number; why: string }[] };
  /** Rows whose text was clipped: the total and the first few. */
  clipped: { total: number; first: { file: string; line: number; chars: number }[] };
}

export interface TokenizeCheckResult {
  maxLength: number;
  /** Rows of the first training batch that were tokenized. */
  rows: number;
  /** The padded batch: [rows, paddedLength]. */
  paddedLength: number;
  /** Token counts before truncation (special tokens included). */
  tokens: { min: number; median: number; max: number; mean: number };
  /** Rows longer than maxLength, which training truncates. */
  truncated: number;
  /** The first rows: a snippet, their token count and their first tokens as text pieces. */
  samples: { text: string; tokens: number; pieces: string[] }[];
  tokenizerVocab: number;
  modelVocab: number;
}

// ---- Setup: results out --------------------------------------------------------------------

export interface RunSummary {
  id: string;
  name: string;
  createdAt: number;
  updatedAt: number;
  step: number;
  status: string;
}

export type Request =
  | { type: 'init'; id: number }
  | { type: 'selfCheck'; id: number }
  | { type: 'bench'; id: number; quick: boolean; runs?: number }
  | { type: 'loadModel'; id: number; source: ModelSource }
  | { type: 'loadData'; id: number; source: DataSource }
  | { type: 'chooseColumns'; id: number; settings: ColumnSettings }
  | { type: 'tokenizeCheck'; id: number; maxLength: number }
  | { type: 'exportAdapter'; id: number }
  | { type: 'listRuns'; id: number }
  | { type: 'deleteRun'; id: number; runId: string };

export type RequestType = Request['type'];

export type Reply =
  | { type: 'init'; id: number; gpu: GpuSummary }
  | { type: 'selfCheck'; id: number; result: SelfCheckResult }
  | { type: 'bench'; id: number; report: BenchReport }
  | { type: 'loadModel'; id: number; model: ModelSummary }
  | { type: 'loadData'; id: number; tables: DataTables }
  | { type: 'chooseColumns'; id: number; examples: DataExamples }
  | { type: 'tokenizeCheck'; id: number; result: TokenizeCheckResult }
  /** A zip; its buffer is transferred, not copied. */
  | { type: 'exportAdapter'; id: number; fileName: string; bytes: Uint8Array }
  | { type: 'listRuns'; id: number; runs: RunSummary[] }
  | { type: 'deleteRun'; id: number; runs: RunSummary[] }
  | ErrorReply;

export interface ErrorReply {
  type: 'error';
  id: number;
  /** The error class name, e.g. "WebGPUUnavailableError"; "Error" for anything untyped. */
  name: string;
  message: string;
}

/** Bytes of one file read so far for request `id`; `total` is null when the size is not known. */
export interface ProgressMessage {
  type: 'progress';
  id: number;
  file: string;
  loaded: number;
  total: number | null;
  /** The file came from the browser's cache (a Hub model loaded before), not the network. */
  cached?: boolean;
}

/** The successful reply that answers a request of type T. */
export type ReplyFor<T extends RequestType> = Extract<Reply, { type: T }>;

/** Messages the worker posts on its own, without a request. */
export type WorkerEvent = { type: 'deviceLost'; name: string; message: string };

/** Everything the worker posts. */
export type WorkerMessage = Reply | ProgressMessage | WorkerEvent;

/** A request without its id (the client assigns ids). */
export type RequestBody = WithoutId<Request>;

/** Omit applied to each member of a union (plain Omit would merge the members). */
type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

/** Serialises any thrown value into an error reply. */
export function errorReply(id: number, error: unknown): ErrorReply {
  if (error instanceof Error) return { type: 'error', id, name: error.name, message: error.message };
  return { type: 'error', id, name: 'Error', message: String(error) };
}
