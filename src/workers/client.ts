/**
 * The UI's side of the worker protocol: one promise per request id. The UI holds plain data
 * only; GPU objects stay in the worker.
 */
import type {
  ColumnSettings,
  DataSource,
  MaskSnapshot,
  ModelSource,
  PlanEvaluation,
  PlanRatios,
  ProgressMessage,
  ReplyFor,
  Request,
  RequestBody,
  RequestType,
  TrainOptions,
  TrainProgress,
  WorkerEvent,
  WorkerMessage,
} from './protocol';
import { errorNameOf, type ErrorCode, type ErrorData } from '../errors';

/** Called with each progress message of one request. */
export type ProgressListener = (progress: Omit<ProgressMessage, 'type' | 'id'>) => void;

/** Called with each training progress message of one train or resumeRun request. */
export type TrainProgressListener = (progress: TrainProgress) => void;

/** Called with each mask snapshot of a Light-PEFT train or resumeRun request. */
export type SnapshotListener = (snapshot: MaskSnapshot) => void;

/** Called after each measured point of a sweepPlans request. */
export type SweepListener = (point: { done: number; total: number; result: PlanEvaluation }) => void;

/** What a request may pass besides its body. */
export interface RequestOptions {
  onProgress?: ProgressListener;
  onTrainProgress?: TrainProgressListener;
  onSnapshot?: SnapshotListener;
  onSweepProgress?: SweepListener;
  /** Aborting it sends the worker a `cancel` for this request, which then rejects with a CancelledError. */
  signal?: AbortSignal;
}

/**
 * A request the worker answered with an error, rebuilt from its data: `code` says which error it
 * is (the UI's advice goes by it), `name` is that code's error name, a bad input keeps its parts.
 */
export class EngineRequestError extends Error implements ErrorData {
  readonly code: ErrorCode;
  readonly file?: string;
  readonly where?: string | null;
  readonly why?: string;

  constructor(data: ErrorData) {
    super(data.message);
    this.code = data.code;
    this.name = errorNameOf(data);
    this.file = data.file;
    this.where = data.where;
    this.why = data.why;
  }
}

/** The part of a Worker the client uses (a fake one in tests). */
export interface WorkerLike {
  postMessage(message: Request): void;
  addEventListener(type: 'message', listener: (event: MessageEvent<WorkerMessage>) => void): void;
  addEventListener(type: 'error', listener: (event: ErrorEvent) => void): void;
  terminate(): void;
}

interface Pending {
  type: RequestType;
  resolve: (reply: never) => void;
  reject: (error: Error) => void;
  onProgress?: ProgressListener;
  onTrainProgress?: TrainProgressListener;
  onSnapshot?: SnapshotListener;
  onSweepProgress?: SweepListener;
}

export class EngineClient {
  private nextId = 1;
  private pending = new Map<number, Pending>();
  private listeners = new Set<(event: WorkerEvent) => void>();
  private failure: Error | null = null;

  constructor(private readonly worker: WorkerLike) {
    worker.addEventListener('message', (event) => this.receive(event.data));
    // The worker script failed to load or threw outside a request: nothing pending can finish.
    worker.addEventListener('error', (event) => {
      this.failAll(new EngineRequestError({ code: 'WORKER', message: `The engine worker failed: ${event.message || 'it could not be loaded'}` }));
    });
  }

  /** Sends a request; resolves with its reply or rejects with an EngineRequestError. */
  request<B extends RequestBody>(body: B, { onProgress, onTrainProgress, onSnapshot, onSweepProgress, signal }: RequestOptions = {}): Promise<ReplyFor<B['type']>> {
    if (this.failure) return Promise.reject(this.failure);
    if (signal?.aborted) return Promise.reject(new EngineRequestError({ code: 'CANCELLED', message: 'Cancelled before it started; nothing was kept.' }));
    const id = this.nextId++;
    const sent = new Promise<ReplyFor<B['type']>>((resolve, reject) => {
      this.pending.set(id, { type: body.type, resolve: resolve as (reply: never) => void, reject, onProgress, onTrainProgress, onSnapshot, onSweepProgress });
      this.worker.postMessage({ ...body, id } as Request);
    });
    if (!signal) return sent;
    // The request keeps waiting for the worker's own answer (a CancelledError once it has freed
    // what it built), so nothing new starts while the worker still cleans up.
    const cancel = () => {
      if (this.pending.has(id)) this.request({ type: 'cancel', target: id }).catch(() => {});
    };
    signal.addEventListener('abort', cancel, { once: true });
    return sent.finally(() => signal.removeEventListener('abort', cancel));
  }

  /** Acquires the GPU (once) and describes it. */
  async init() {
    return (await this.request({ type: 'init' })).gpu;
  }

  async selfCheck() {
    return (await this.request({ type: 'selfCheck' })).result;
  }

  /**
   * Loads a model (demo, picked files or a Hub id) and builds it on the GPU with a fresh, untrained
   * PEFT set-up. Aborting `signal` cancels it: it rejects with a CancelledError and the model loaded
   * before stays.
   */
  async loadModel(source: ModelSource, onProgress?: ProgressListener, signal?: AbortSignal) {
    return (await this.request({ type: 'loadModel', source }, { onProgress, signal })).model;
  }

  /** Parses a dataset (streamed) and guesses its columns. */
  async loadData(source: DataSource, onProgress?: ProgressListener) {
    return (await this.request({ type: 'loadData', source }, { onProgress })).tables;
  }

  /** Builds examples from the chosen columns and splits off validation when there is no validation file. */
  async chooseColumns(settings: ColumnSettings) {
    return (await this.request({ type: 'chooseColumns', settings })).examples;
  }

  /** Tokenizes the first training batch with the loaded model's tokenizer. */
  async tokenizeCheck(maxLength: number) {
    return (await this.request({ type: 'tokenizeCheck', maxLength })).result;
  }

  /** The loaded model's PEFT adapter (HF PEFT layout) as a zip. */
  async exportAdapter() {
    const { fileName, bytes } = await this.request({ type: 'exportAdapter' });
    return { fileName, bytes };
  }

  async listRuns() {
    return (await this.request({ type: 'listRuns' })).runs;
  }

  /** Deletes a saved run and its checkpoint; resolves with the runs left. */
  async deleteRun(runId: string) {
    return (await this.request({ type: 'deleteRun', runId })).runs;
  }

  /** Trains the loaded model on the loaded data, saving checkpoints; resolves when it finishes or is stopped. */
  async train(options: TrainOptions, onProgress?: TrainProgressListener, onSnapshot?: SnapshotListener) {
    return (await this.request({ type: 'train', options }, { onTrainProgress: onProgress, onSnapshot })).result;
  }

  /** Asks the running training to stop after its current step; resolves false when none was running. */
  async stopTraining() {
    return (await this.request({ type: 'stopTraining' })).stopping;
  }

  /** Continues a saved run from its checkpoint (the same model and data must be loaded). */
  async resumeRun(runId: string, onProgress?: TrainProgressListener, onSnapshot?: SnapshotListener) {
    return (await this.request({ type: 'resumeRun', runId }, { onTrainProgress: onProgress, onSnapshot })).result;
  }

  /** Holds the running training between two steps, the model kept on the GPU; resolves false when none runs. */
  async pauseTraining() {
    return (await this.request({ type: 'pauseTraining' })).paused;
  }

  /** Goes on after pauseTraining; resolves false when nothing was paused. */
  async continueTraining() {
    return (await this.request({ type: 'continueTraining' })).continued;
  }

  /** Prunes the running Light-PEFT run now at these ratios (during estimation); the pruned model then trains. */
  async pruneNow(ratios: PlanRatios) {
    return (await this.request({ type: 'pruneNow', ratios })).outcome;
  }

  /** Validation metrics of the running estimation's model masked at these ratios' plan, without committing. */
  async evaluatePlan(ratios: PlanRatios, limit?: number) {
    return (await this.request({ type: 'evaluatePlan', ratios, limit })).result;
  }

  /** evaluatePlan at each of these ratios; `onPoint` gets each result as it is measured. */
  async sweepPlans(points: PlanRatios[], onPoint?: SweepListener, limit?: number) {
    return (await this.request({ type: 'sweepPlans', points, limit }, { onSweepProgress: onPoint })).results;
  }

  /** The mask snapshots the worker keeps of the current or last Light-PEFT run, oldest first. */
  async snapshotHistory() {
    return (await this.request({ type: 'snapshotHistory' })).snapshots;
  }

  /** Class probabilities of a text under the loaded model. */
  async classify(text: string, textPair?: string) {
    return (await this.request({ type: 'classify', text, textPair })).probabilities;
  }

  /** A saved run's curves and prune. */
  async runDetails(runId: string) {
    return (await this.request({ type: 'runDetails', runId })).details;
  }

  /** The last run as the CLI writes it (adapter, report, curves; a pruned run's pruned model and pruning.json), as a zip. */
  async exportRun() {
    const { fileName, bytes } = await this.request({ type: 'exportRun' });
    return { fileName, bytes };
  }

  /** Messages the worker posts on its own (device lost). Returns an unsubscribe. */
  onEvent(listener: (event: WorkerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  terminate(): void {
    this.worker.terminate();
    this.failAll(new EngineRequestError({ code: 'WORKER', message: 'The engine worker was stopped.' }));
  }

  private receive(message: WorkerMessage): void {
    if (!('id' in message)) {
      for (const listener of this.listeners) listener(message);
      return;
    }
    const pending = this.pending.get(message.id);
    if (!pending) return;
    if (message.type === 'progress') {
      pending.onProgress?.({ file: message.file, loaded: message.loaded, total: message.total, ...(message.cached ? { cached: true } : {}) });
      return;
    }
    if (message.type === 'trainProgress') {
      pending.onTrainProgress?.(message.progress);
      return;
    }
    if (message.type === 'maskSnapshot') {
      pending.onSnapshot?.(message.snapshot);
      return;
    }
    if (message.type === 'sweepProgress') {
      pending.onSweepProgress?.({ done: message.done, total: message.total, result: message.result });
      return;
    }
    this.pending.delete(message.id);
    if (message.type === 'error') pending.reject(new EngineRequestError(message));
    else if (message.type !== pending.type)
      pending.reject(new EngineRequestError({ code: 'PROTOCOL', message: `Expected a ${pending.type} reply, got ${message.type}` }));
    else pending.resolve(message as never);
  }

  private failAll(error: Error): void {
    this.failure = error;
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
  }
}
