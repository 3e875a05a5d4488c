/** Typed errors with messages a person can act on. Every engine failure is one of these. */

export class EngineError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

export class WebGPUUnavailableError extends EngineError {}

export class DeviceLostError extends EngineError {
  constructor(reason: string, detail: string) {
    super(
      `The GPU device was lost (${reason}${detail ? `: ${detail}` : ''}). ` +
        'Your settings and data are kept; reload the page or restart the command to get a new device.',
    );
  }
}

export class OutOfMemoryError extends EngineError {
  constructor(what: string, bytes: number, liveBytes: number) {
    super(
      `The GPU ran out of memory allocating ${what} (${formatBytes(bytes)}; ${formatBytes(liveBytes)} already in use). ` +
        'Try a smaller batch size, a shorter max length or a smaller model.',
    );
  }
}

/** A GPU validation error: a bug in our kernels or their arguments, never the user's fault. */
export class KernelError extends EngineError {}

/** Bad user input: names the file, the line (or tensor) and what to do about it. */
export class BadInputError extends EngineError {
  constructor(
    readonly file: string,
    readonly where: string | null,
    readonly why: string,
  ) {
    super(`${file}${where ? ` (${where})` : ''}: ${why}`);
  }
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
}
