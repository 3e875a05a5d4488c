/**
 * The typed messages between the UI and the engine worker (DESIGN §2.6).
 * Every request carries an `id`; the worker answers each one with exactly one reply of the
 * matching type and the same id, or with an `ErrorReply` (name = the engine error class name).
 * Unsolicited messages (progress, later) carry no id.
 * To add a command: add its request and reply here, a handler in engine.worker.ts and a method
 * in client.ts.
 */

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

export type Request =
  | { type: 'init'; id: number }
  | { type: 'selfCheck'; id: number }
  | { type: 'bench'; id: number; quick: boolean; runs?: number };

export type RequestType = Request['type'];

export type Reply =
  | { type: 'init'; id: number; gpu: GpuSummary }
  | { type: 'selfCheck'; id: number; result: SelfCheckResult }
  | { type: 'bench'; id: number; report: BenchReport }
  | ErrorReply;

export interface ErrorReply {
  type: 'error';
  id: number;
  /** The error class name, e.g. "WebGPUUnavailableError"; "Error" for anything untyped. */
  name: string;
  message: string;
}

/** The successful reply that answers a request of type T. */
export type ReplyFor<T extends RequestType> = Extract<Reply, { type: T }>;

/** Messages the worker posts on its own, without a request (progress will join these). */
export type WorkerEvent = { type: 'deviceLost'; name: string; message: string };

/** Everything the worker posts. */
export type WorkerMessage = Reply | WorkerEvent;

/** A request without its id (the client assigns ids). */
export type RequestBody = WithoutId<Request>;

/** Omit applied to each member of a union (plain Omit would merge the members). */
type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

/** Serialises any thrown value into an error reply. */
export function errorReply(id: number, error: unknown): ErrorReply {
  if (error instanceof Error) return { type: 'error', id, name: error.name, message: error.message };
  return { type: 'error', id, name: 'Error', message: String(error) };
}
