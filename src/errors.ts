/**
 * Typed errors with messages a person can act on, shared by every layer (GPU, engine, worker, CLI,
 * UI). Each class has a stable `code`: errors cross the worker as data ({code, message, and a bad
 * input's file/where/why}) and the UI tells them apart by code, so nothing depends on class names,
 * which a minifier may rename.
 */
import { formatBytes } from './shared/format-bytes';
import { describeStorageFull, type StorageReport } from './shared/storage';

/** Every error code, with the name its errors carry (`error.name`: logs, tests, the UI's `data-error`). */
export const ERROR_NAMES = {
  ENGINE: 'EngineError',
  WEBGPU_UNAVAILABLE: 'WebGPUUnavailableError',
  DEVICE_LOST: 'DeviceLostError',
  OUT_OF_MEMORY: 'OutOfMemoryError',
  KERNEL: 'KernelError',
  BAD_INPUT: 'BadInputError',
  HUB_DOWNLOAD: 'HubDownloadError',
  NON_FINITE_LOSS: 'NonFiniteLossError',
  NOT_READY: 'NotReadyError',
  DEMO_NOT_BUILT: 'DemoNotBuiltError',
  SETTING: 'SettingError',
  DOWNLOAD: 'DownloadError',
  TRAINING_BUSY: 'TrainingBusyError',
  CANCELLED: 'CancelledError',
  RUN_OPEN_ELSEWHERE: 'RunOpenElsewhereError',
  STORAGE_FULL: 'StorageFullError',
  CHECKPOINT_INCOMPLETE: 'CheckpointIncompleteError',
  STORAGE_BLOCKED: 'StorageBlockedError',
  /** The UI's side of the worker protocol: the worker failed to load or was stopped. */
  WORKER: 'WorkerError',
  /** The UI's side of the worker protocol: a reply of the wrong type. */
  PROTOCOL: 'ProtocolError',
  /** Anything untyped: a bug. Its own name (TypeError, …) travels beside the code. */
  INTERNAL: 'Error',
} as const;

export type ErrorCode = keyof typeof ERROR_NAMES;

export class EngineError extends Error {
  /** Each subclass sets its own; errors of a subclass without one carry ENGINE and their class name. */
  static readonly code: ErrorCode = 'ENGINE';
  readonly code: ErrorCode;

  constructor(message: string) {
    super(message);
    const type = new.target as typeof EngineError;
    this.code = type.code;
    this.name = Object.hasOwn(type, 'code') ? ERROR_NAMES[type.code] : type.name;
  }
}

export class WebGPUUnavailableError extends EngineError {
  static override readonly code = 'WEBGPU_UNAVAILABLE';
}

export class DeviceLostError extends EngineError {
  static override readonly code = 'DEVICE_LOST';
  constructor(reason: string, detail: string) {
    super(
      `The GPU device was lost (${reason}${detail ? `: ${detail}` : ''}). ` +
        'Your settings, data and saved runs are kept: the app takes a new device for its next task (a training run goes on from its last checkpoint by itself); in the CLI, run the command again.',
    );
  }
}

export class OutOfMemoryError extends EngineError {
  static override readonly code = 'OUT_OF_MEMORY';
  constructor(
    readonly what: string,
    readonly bytes: number,
    readonly liveBytes: number,
    /** What to change; a run's caller knows its settings and says more (withAdvice). */
    advice = 'Try a smaller batch size, a shorter max length or a smaller model.',
  ) {
    super(`The GPU ran out of memory allocating ${what} (${formatBytes(bytes)}; ${formatBytes(liveBytes)} already in use). ${advice}`);
  }

  withAdvice(advice: string): OutOfMemoryError {
    return new OutOfMemoryError(this.what, this.bytes, this.liveBytes, advice);
  }
}

/** A GPU validation error: a bug in our kernels or their arguments, never the user's fault. */
export class KernelError extends EngineError {
  static override readonly code = 'KERNEL';
}

/** Bad user input: names the file, the line (or tensor) and what to do about it. */
export class BadInputError extends EngineError {
  static override readonly code = 'BAD_INPUT';
  constructor(
    readonly file: string,
    readonly where: string | null,
    readonly why: string,
  ) {
    super(`${file}${where ? ` (${where})` : ''}: ${why}`);
  }
}

/** A Hub download that failed for a reason outside the user's input (network, server). */
export class HubDownloadError extends EngineError {
  static override readonly code = 'HUB_DOWNLOAD';
}

/** The loss or the gradient norm became NaN or infinite: training diverged. */
export class NonFiniteLossError extends EngineError {
  static override readonly code = 'NON_FINITE_LOSS';
}

/** A step that needs an earlier one (a model, a tokenizer, data) was asked for too soon. */
export class NotReadyError extends EngineError {
  static override readonly code = 'NOT_READY';
}

/** The built-in demo model or data is not on the server (the app was built without it). */
export class DemoNotBuiltError extends EngineError {
  static override readonly code = 'DEMO_NOT_BUILT';
}

/** A setting the user typed is out of range; says what range is allowed. */
export class SettingError extends EngineError {
  static override readonly code = 'SETTING';
  constructor(
    message: string,
    /** The setting, when it is one of the training core's rule table (src/engine/train/checks.ts). */
    readonly setting?: string,
    readonly accepts?: string,
    readonly got?: unknown,
  ) {
    super(message);
  }
}

/** A download failed (network, HTTP status). */
export class DownloadError extends EngineError {
  static override readonly code = 'DOWNLOAD';
}

/** A request that would change what a running training uses (the model, the data) came while it runs. */
export class TrainingBusyError extends EngineError {
  static override readonly code = 'TRAINING_BUSY';
}

/** The user cancelled the request; whatever it had built was freed and nothing replaced what was loaded. */
export class CancelledError extends EngineError {
  static override readonly code = 'CANCELLED';
}

/** The run is trained (or resumed) in another tab of this browser, which holds its lock: nothing here touched it. */
export class RunOpenElsewhereError extends EngineError {
  static override readonly code = 'RUN_OPEN_ELSEWHERE';
  constructor(runName: string, whatHere: string) {
    super(
      `This run is open in another tab: “${runName}” is training there, so this tab cannot ${whatHere}. ` +
        'Switch to that tab and stop it there (Stop saves a checkpoint), or close that tab; then try again here.',
    );
  }
}

/** A checkpoint did not fit in this browser's storage; the report says what the saved runs take and what to delete. */
export class StorageFullError extends EngineError {
  static override readonly code = 'STORAGE_FULL';
  constructor(readonly report: StorageReport) {
    super(describeStorageFull(report, false));
  }
}

/** A saved checkpoint lacks tensors (or values) its run record lists: it is refused rather than resumed. */
export class CheckpointIncompleteError extends EngineError {
  static override readonly code = 'CHECKPOINT_INCOMPLETE';
  constructor(runName: string, problem: string) {
    super(`The saved checkpoint of “${runName}” is incomplete (${problem}), so it cannot be resumed. Delete this run and start it again.`);
  }
}

/** Another tab holds this app's storage (an upgrade waits on it, or a newer version of the app upgraded it). */
export class StorageBlockedError extends EngineError {
  static override readonly code = 'STORAGE_BLOCKED';
}

/** An error as data, as it crosses the worker (structured-clone safe). */
export interface ErrorData {
  code: ErrorCode;
  message: string;
  /** INTERNAL only: the thrown value's own name (TypeError, …), for a bug report. */
  name?: string;
  /** BAD_INPUT only: the file, the line or tensor, and what is wrong (the message joins them). */
  file?: string;
  where?: string | null;
  why?: string;
}

/** The code of any thrown value: an EngineError's (or an error rebuilt from ErrorData), else INTERNAL. */
export function errorCodeOf(error: unknown): ErrorCode {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && Object.hasOwn(ERROR_NAMES, code) ? (code as ErrorCode) : 'INTERNAL';
}

/** Any thrown value as ErrorData. */
export function toErrorData(error: unknown): ErrorData {
  const code = errorCodeOf(error);
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof BadInputError) return { code, message, file: error.file, where: error.where, why: error.why };
  if (code === 'INTERNAL') return { code, message, name: error instanceof Error ? error.name : 'Error' };
  return { code, message };
}

/** The name an error of this data carries: its code's, or an untyped error's own. */
export function errorNameOf(data: Pick<ErrorData, 'code' | 'name'>): string {
  return data.code === 'INTERNAL' ? (data.name ?? ERROR_NAMES.INTERNAL) : ERROR_NAMES[data.code];
}
