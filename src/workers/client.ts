/**
 * The UI's side of the worker protocol: one promise per request id. The UI holds plain data
 * only; GPU objects stay in the worker.
 */
import type { ErrorReply, ReplyFor, Request, RequestBody, RequestType, WorkerEvent, WorkerMessage } from './protocol';

/** A request the worker answered with an error; `name` is the engine's error class name. */
export class EngineRequestError extends Error {
  constructor(reply: Pick<ErrorReply, 'name' | 'message'>) {
    super(reply.message);
    this.name = reply.name;
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
      this.failAll(new EngineRequestError({ name: 'WorkerError', message: `The engine worker failed: ${event.message || 'it could not be loaded'}` }));
    });
  }

  /** Sends a request; resolves with its reply or rejects with an EngineRequestError. */
  request<B extends RequestBody>(body: B): Promise<ReplyFor<B['type']>> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise<ReplyFor<B['type']>>((resolve, reject) => {
      this.pending.set(id, { type: body.type, resolve: resolve as (reply: never) => void, reject });
      this.worker.postMessage({ ...body, id } as Request);
    });
  }

  /** Acquires the GPU (once) and describes it. */
  async init() {
    return (await this.request({ type: 'init' })).gpu;
  }

  async selfCheck() {
    return (await this.request({ type: 'selfCheck' })).result;
  }

  async bench(quick: boolean, runs?: number) {
    return (await this.request({ type: 'bench', quick, runs })).report;
  }

  /** Messages the worker posts on its own (device lost, later progress). Returns an unsubscribe. */
  onEvent(listener: (event: WorkerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  terminate(): void {
    this.worker.terminate();
    this.failAll(new EngineRequestError({ name: 'WorkerError', message: 'The engine worker was stopped.' }));
  }

  private receive(message: WorkerMessage): void {
    if (!('id' in message)) {
      for (const listener of this.listeners) listener(message);
      return;
    }
    const pending = this.pending.get(message.id);
    if (!pending) return;
    this.pending.delete(message.id);
    if (message.type === 'error') pending.reject(new EngineRequestError(message));
    else if (message.type !== pending.type)
      pending.reject(new EngineRequestError({ name: 'ProtocolError', message: `Expected a ${pending.type} reply, got ${message.type}` }));
    else pending.resolve(message as never);
  }

  private failAll(error: Error): void {
    this.failure = error;
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
  }
}
