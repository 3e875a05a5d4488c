/**
 * The typed messages between the UI and the engine worker (docs/ARCHITECTURE.md, "Data flow").
 * Every request carries an `id`; the worker answers each one with exactly one reply of the
 * matching type and the same id, or with an `ErrorReply` (the error as data: its stable code, its
 * message; the UI tells errors apart by code, never by class name).
 * While a request runs, the worker may post `progress` messages with the request's id.
 * Unsolicited messages (device lost) carry no id.
 * To add a command: add its request and reply here, a handler in handlers/ (wired in
 * engine.worker.ts) and a method in client.ts.
 */
import type { StorageReport } from '../shared/storage';
import type { ColumnGuess, LabelBalance, TablePreview } from '../shared/datasets';
import type { ClassificationMetrics, EvalLog, RollbackLog, StepLog } from '../shared/training';
import type { ColumnSettings, DataFileSummary, RunSettings } from '../engine/train/run-record';
import type { TrainOptions } from '../engine/train/run-options';
import type { PlanRatios, PruningPlan } from '../shared/pruning-plan';
import type { LightPeftStage, MaskSnapshot, PruneOutcome } from '../shared/light-peft';
import { toErrorData, type ErrorData } from '../errors';

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
  | {
      kind: 'hub';
      /** `owner/name`, or `owner/name@revision` (a branch, tag or commit; main when absent). */
      modelId: string;
      /** An access token for private or gated models: sent to huggingface.co only, never stored. */
      token?: string;
    };

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

/** A parsed dataset before its columns are interpreted. */
export interface DataTables {
  files: DataFileSummary[];
  /** Columns of the training file, in file order. */
  columns: string[];
  guess: ColumnGuess;
  previewTrain: TablePreview;
  previewValidation: TablePreview | null;
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

// ---- Training ------------------------------------------------------------------------------

// The run's options, its saved settings and curves are the engine's (src/engine/train/).
export type { LightPeftOptions, TrainMethod, TrainOptions } from '../engine/train/run-options';
export type { PlanInput, PlanRatios, PruningPlan } from '../shared/pruning-plan';
export type { LightPeftStage, MaskSnapshot, ModelMeasure, PruneOutcome } from '../shared/light-peft';

/** A validation evaluation of the model masked as a plan would leave it, without committing to it. */
export interface PlanEvaluation {
  ratios: PlanRatios;
  /** The plan's counts and predicted costs. */
  counts: PruningPlan['counts'];
  predicted: PruningPlan['predicted'];
  evaluation: EvalLog;
  /** Validation examples it used (the first `limit`, or all). */
  examples: number;
}

/** A class and its probability for a text the person typed. */
export interface ClassProbability {
  label: string;
  probability: number;
}
export type { ColumnSettings, DataFileSummary, DataOrigin, ModelOrigin, RunCurves, RunSettings } from '../engine/train/run-record';

export interface TrainProgress {
  runId: string;
  name: string;
  /** 'done': the run has finished or stopped, and is saved (the request's reply follows). */
  phase: 'preparing' | 'training' | 'saving' | 'evaluating' | 'done';
  /** Steps done (of the whole run, a resumed run's earlier steps included). */
  step: number;
  totalSteps: number;
  /** The step this call started from (0, or the checkpoint a resume continues). */
  startStep: number;
  /** Loss points new since the last message (a resumed run's first message: all of its earlier points). */
  newLogs: StepLog[];
  /** Validation evaluations new since the last message (a resumed run's first message: all of its earlier ones; the last message: the final one). */
  newEvaluations: EvalLog[];
  /** Since this call started (null before the first loss read-back). */
  stepsPerSecond: number | null;
  /** Real (non-padding) tokens a second, since this call started. */
  tokensPerSecond: number | null;
  gpuBytes: number;
  peakGpuBytes: number;
  /** The last step saved to IndexedDB in this call, or null. */
  checkpointStep: number | null;
  /** Light-PEFT runs: where the run is (null: a plain run). */
  stage: LightPeftStage | null;
  /** Light-PEFT runs: the plan and measurements once pruned (null before). */
  pruned: PruneOutcome | null;
  /** Paused in memory (pauseTraining): the model stays on the GPU; plans can be evaluated and pruned. */
  paused: boolean;
  /**
   * Every rollback after a non-finite step so far. A new one means the run went back to its
   * `toStep`: loss points and evaluations after that step are no longer the run's.
   */
  rollbacks: RollbackLog[];
  /**
   * Lost GPU devices this request recovered from. A new one starts a new attempt: its first
   * message carries all the run's points up to the checkpoint it went on from (as a resume's does).
   */
  recoveries: DeviceRecovery[];
  /**
   * Set while the run is paused because its checkpoint did not fit in this browser's storage:
   * what the saved runs take and which to delete; continueTraining saves again.
   */
  storageFull?: StorageReport | null;
}

/** The GPU device was lost during training; the run went on from its last checkpoint on a new device. */
export interface DeviceRecovery {
  /** The step the run had reported when the loss was noticed (at the next read-back: queued steps ran on the lost device). */
  lostAtStep: number;
  /** The checkpoint's step it went on from. */
  resumedFrom: number;
  /** The device-lost message (its reason). */
  reason: string;
}

export interface TrainResult {
  runId: string;
  name: string;
  status: 'finished' | 'paused';
  step: number;
  totalSteps: number;
  /** Validation metrics (null when the run was stopped before the end). */
  metrics: ClassificationMetrics | null;
  loss: StepLog[];
  /** Validation evaluations during the run and, when it finished, the final one (step = totalSteps). */
  evaluations: EvalLog[];
  /** The model as trained now (its PEFT method, labels, parameter counts, GPU memory). */
  model: ModelSummary;
  /** Light-PEFT runs: the prune, before and after (after.metrics set when the run finished). Null for plain runs or when stopped before pruning. */
  pruned: PruneOutcome | null;
}

/** A saved run's curves and, for Light-PEFT, its prune: what the Results screen compares. */
export interface RunDetails {
  id: string;
  name: string;
  settings: RunSettings | null;
  loss: StepLog[];
  evaluations: EvalLog[];
  metrics: ClassificationMetrics | null;
  pruned: PruneOutcome | null;
}

// ---- Setup: results out --------------------------------------------------------------------

export interface RunSummary {
  id: string;
  name: string;
  createdAt: number;
  updatedAt: number;
  step: number;
  totalSteps: number | null;
  /** 'interrupted': saved as running, but no training in this worker runs it (a reload or a crash stopped it). */
  status: 'running' | 'paused' | 'finished' | 'failed' | 'interrupted';
  lastLoss: number | null;
  metrics: ClassificationMetrics | null;
  error: { name: string; message: string } | null;
  /** The run's settings, when they are this app's (null for records it cannot rebuild). */
  settings: RunSettings | null;
  /** It can be continued from its checkpoint. */
  resumable: boolean;
}

export type Request =
  | { type: 'init'; id: number }
  | { type: 'selfCheck'; id: number }
  /** Cancellable: a `cancel` naming its id aborts it, and it replies with a CancelledError. */
  | { type: 'loadModel'; id: number; source: ModelSource }
  | { type: 'loadData'; id: number; source: DataSource }
  | { type: 'chooseColumns'; id: number; settings: ColumnSettings }
  | { type: 'tokenizeCheck'; id: number; maxLength: number }
  | { type: 'exportAdapter'; id: number }
  | { type: 'listRuns'; id: number }
  | { type: 'deleteRun'; id: number; runId: string }
  /** Trains the loaded model on the loaded data; posts TrainProgressMessages; replies at the end or on stop. */
  | { type: 'train'; id: number; options: TrainOptions }
  /** Asks the running training to stop after its current step (it saves a checkpoint and replies paused). */
  | { type: 'stopTraining'; id: number }
  /** Continues a saved run from its checkpoint, with the same model and data loaded; like train. */
  | { type: 'resumeRun'; id: number; runId: string }
  /**
   * Aborts request `target` if it is still running and cancellable (loadModel). Handled as soon as
   * it arrives, beside the request it cancels; that request then answers with a CancelledError.
   */
  | { type: 'cancel'; id: number; target: number }
  // ---- Light-PEFT during a run (handled between two steps, or at once while paused) ----
  /** Holds the running training between two steps, everything kept on the GPU (no checkpoint). */
  | { type: 'pauseTraining'; id: number }
  /** Goes on after pauseTraining. */
  | { type: 'continueTraining'; id: number }
  /** Prunes the running Light-PEFT run now with the plan at these ratios (estimation only), then trains the pruned model. */
  | { type: 'pruneNow'; id: number; ratios: PlanRatios }
  /** Validation metrics of the running estimation's model masked at the plan of these ratios, without committing. */
  | { type: 'evaluatePlan'; id: number; ratios: PlanRatios; limit?: number }
  /** evaluatePlan at each of these ratios, in order; posts a sweepProgress message after each point. */
  | { type: 'sweepPlans'; id: number; points: PlanRatios[]; limit?: number }
  /** The mask snapshots the worker keeps of the current (or last) Light-PEFT run, oldest first. */
  | { type: 'snapshotHistory'; id: number }
  // ---- Results ----
  /** Classifies a text with the loaded (trained, maybe pruned) model. */
  | { type: 'classify'; id: number; text: string; textPair?: string }
  /** A saved run's curves and prune. */
  | { type: 'runDetails'; id: number; runId: string }
  /** A zip of what the CLI writes: adapter/, report.json, curves.csv, evaluations.csv, and for a pruned run pruned-model/ with pruning.json and scores.safetensors. */
  | { type: 'exportRun'; id: number };

export type RequestType = Request['type'];

export type Reply =
  | { type: 'init'; id: number; gpu: GpuSummary }
  | { type: 'selfCheck'; id: number; result: SelfCheckResult }
  | { type: 'loadModel'; id: number; model: ModelSummary }
  | { type: 'loadData'; id: number; tables: DataTables }
  | { type: 'chooseColumns'; id: number; examples: DataExamples }
  | { type: 'tokenizeCheck'; id: number; result: TokenizeCheckResult }
  /** A zip; its buffer is transferred, not copied. */
  | { type: 'exportAdapter'; id: number; fileName: string; bytes: Uint8Array }
  | { type: 'listRuns'; id: number; runs: RunSummary[] }
  | { type: 'deleteRun'; id: number; runs: RunSummary[] }
  | { type: 'train'; id: number; result: TrainResult }
  /** `stopping`: false when no training was running. */
  | { type: 'stopTraining'; id: number; stopping: boolean }
  | { type: 'resumeRun'; id: number; result: TrainResult }
  /** `cancelled`: false when the target had already finished (its own reply stands). */
  | { type: 'cancel'; id: number; cancelled: boolean }
  /** `paused` / `continued`: false when no training was running (or it already was in that state). */
  | { type: 'pauseTraining'; id: number; paused: boolean }
  | { type: 'continueTraining'; id: number; continued: boolean }
  | { type: 'pruneNow'; id: number; outcome: PruneOutcome }
  | { type: 'evaluatePlan'; id: number; result: PlanEvaluation }
  | { type: 'sweepPlans'; id: number; results: PlanEvaluation[] }
  | { type: 'snapshotHistory'; id: number; snapshots: MaskSnapshot[] }
  | { type: 'classify'; id: number; probabilities: ClassProbability[] }
  | { type: 'runDetails'; id: number; details: RunDetails }
  /** A zip; its buffer is transferred, not copied. */
  | { type: 'exportRun'; id: number; fileName: string; bytes: Uint8Array }
  | ErrorReply;

/** A request failed: the error as data (code, message, a bad input's file/where/why). */
export type ErrorReply = { type: 'error'; id: number } & ErrorData;

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

/** Training progress of request `id` (train or resumeRun), a few times a second and at each loss read-back. */
export interface TrainProgressMessage {
  type: 'trainProgress';
  id: number;
  progress: TrainProgress;
}

/** A mask snapshot of the Light-PEFT run of request `id` (train or resumeRun), every `snapshotEvery` steps and at each stage change. */
export interface MaskSnapshotMessage {
  type: 'maskSnapshot';
  id: number;
  snapshot: MaskSnapshot;
}

/** One more point of sweepPlans request `id` is measured. */
export interface SweepProgressMessage {
  type: 'sweepProgress';
  id: number;
  done: number;
  total: number;
  result: PlanEvaluation;
}

/** The successful reply that answers a request of type T. */
export type ReplyFor<T extends RequestType> = Extract<Reply, { type: T }>;

/** Messages the worker posts on its own, without a request. */
export type WorkerEvent = { type: 'deviceLost' } & ErrorData;

/** Everything the worker posts. */
export type WorkerMessage = Reply | ProgressMessage | TrainProgressMessage | MaskSnapshotMessage | SweepProgressMessage | WorkerEvent;

/** A request without its id (the client assigns ids). */
export type RequestBody = WithoutId<Request>;

/** Omit applied to each member of a union (plain Omit would merge the members). */
type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

/** Serialises any thrown value into an error reply. */
export function errorReply(id: number, error: unknown): ErrorReply {
  return { type: 'error', id, ...toErrorData(error) };
}
