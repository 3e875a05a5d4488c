/**
 * What the worker holds between requests: the GPU context, the loaded model with its tokenizer,
 * and the loaded data. A failed request leaves all of it as it was (handlers build the new state
 * first and swap it in only on success).
 */
import type { PlanInput, PlanRatios, PruningPlan } from '../shared/pruning-plan';
import type { MaskSnapshot, PruneOutcome } from '../shared/light-peft';
import type { GpuContext } from '../gpu/context';
import type { CheckpointStore } from '../engine/train/checkpoint-store';
import type { Example, RawTable } from '../engine/io/datasets';
import type { TextTokenizer } from '../engine/io/tokenizer';
import type { RobertaModel } from '../engine/model/roberta';
import type { ModelConfig } from '../engine/model/config';
import type { WeightSource } from '../engine/model/weights';
import type { ColumnSettings, DataFileSummary, DataOrigin, DeviceRecovery, ModelOrigin, ModelSummary, PlanEvaluation } from './protocol';
import type { RunControl } from './run-control';
import type { RunRecord } from '../engine/train/checkpoint-store';
import { cancellable } from './cancel';
import { defaultRunLocks, type RunLocks } from './run-locks';

export interface LoadedModel {
  model: RobertaModel;
  /** config.json as read (training rebuilds the model from it with the task's labels). */
  config: ModelConfig;
  /** The checkpoint's weights, read again when training rebuilds the model with another PEFT set-up. */
  weights: WeightSource;
  origin: ModelOrigin;
  tokenizer: TextTokenizer | null;
  /** The tokenizer files as read, byte for byte (a pruned model's export ships them beside it). */
  tokenizerBytes?: { name: string; bytes: Uint8Array }[];
  /** How config.json is named in messages. */
  configFile: string;
  summary: ModelSummary;
  /** base_model_name_or_path for exports: the Hub id or folder name; null for the demo. */
  baseModelName: string | null;
  /** The Hub revision the model was loaded at (none: main). */
  baseModelRevision?: string;
}

export interface LoadedData {
  train: RawTable;
  validation: RawTable | null;
  files: DataFileSummary[];
  origin: DataOrigin;
  /** Set once columns are chosen. */
  examples: { train: Example[]; validation: Example[]; id2label: string[]; settings: ColumnSettings } | null;
}

/** What a running Light-PEFT run does for the page between two of its steps (queued on its RunControl). */
export interface LightPeftActions {
  pruneNow(ratios: PlanRatios): Promise<PruneOutcome>;
  evaluatePlan(ratios: PlanRatios, limit?: number): Promise<PlanEvaluation>;
}

/** The training in progress (one at a time). */
export interface ActiveTraining {
  runId: string;
  /** Stop, pause, continue and between-step work. */
  control: RunControl;
  /** Set while a Light-PEFT run trains. */
  lightPeft: LightPeftActions | null;
  /** Lost GPU devices this request recovered from (oldest first). */
  recoveries: DeviceRecovery[];
}

/** Reports bytes of one file read so far (throttled by the worker before posting). */
export type ProgressReporter = (file: string, loaded: number, total: number | null, cached?: boolean) => void;

export class Session {
  model: LoadedModel | null = null;
  data: LoadedData | null = null;
  training: ActiveTraining | null = null;
  /** The latest saved state of the run that trained the loaded model. */
  lastRun: RunRecord | null = null;
  /** When the loaded model was pruned by a Light-PEFT run: the plan and the scores it was made from (for the export's pruning.json and scores.safetensors). */
  lastPrune: { plan: PruningPlan; scores: PlanInput } | null = null;
  /** Mask snapshots of the current (or last) Light-PEFT run, oldest first (at most SNAPSHOT_HISTORY). */
  snapshots: MaskSnapshot[] = [];
  private store: Promise<CheckpointStore> | null = null;
  private modelQueue: Promise<unknown> = Promise.resolve();
  /** Requests in flight that a `cancel` message may abort, by request id. */
  private cancels = new Map<number, AbortController>();

  constructor(
    /** The worker's GPU context (acquired on first use). */
    readonly gpu: () => Promise<GpuContext>,
    private readonly openStore: () => Promise<CheckpointStore>,
    /** One tab at a time per run (Web Locks; locks within this process where there are none). */
    readonly locks: RunLocks = defaultRunLocks(),
  ) {}

  /**
   * Runs `work` after every earlier model job has finished: a model is never replaced (and its
   * GPU memory freed) while another job still reads it.
   */
  withModel<T>(work: () => Promise<T>): Promise<T> {
    const run = this.modelQueue.then(work, work);
    this.modelQueue = run.catch(() => undefined);
    return run;
  }

  /**
   * Runs `work` as request `id`, which cancel(id) aborts: `work` gets the signal, and once it is
   * aborted whatever `work` throws becomes a CancelledError.
   */
  async cancellable<T>(id: number, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    this.cancels.set(id, controller);
    try {
      return await cancellable(controller.signal, () => work(controller.signal));
    } finally {
      this.cancels.delete(id);
    }
  }

  /** Aborts request `id`; false when it is not running (finished, or never cancellable). */
  cancel(id: number): boolean {
    const controller = this.cancels.get(id);
    if (!controller || controller.signal.aborted) return false;
    controller.abort();
    return true;
  }

  /** The IndexedDB checkpoint store, opened on first use; a failed open is retried next time. */
  checkpoints(): Promise<CheckpointStore> {
    this.store ??= this.openStore();
    this.store.catch(() => (this.store = null));
    return this.store;
  }
}
