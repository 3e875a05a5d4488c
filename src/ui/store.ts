/**
 * App state (zustand). Holds plain data the worker posted; actions send commands through the
 * EngineClient and record the outcome. The UI never sees a GPU object.
 */
import { create } from 'zustand';
import type { EngineClient } from '../workers/client';
import type { GpuSummary, SelfCheckResult } from '../workers/protocol';
import { errorNameOf, toErrorData, type ErrorCode } from '../errors';

/** An error as the UI shows it: the code picks the advice, the message explains, the name labels it. */
export interface ShownError {
  code: ErrorCode;
  name: string;
  message: string;
}

/** The life of one request: idle → running → done | failed. */
export type Task<T> =
  | { status: 'idle' }
  | { status: 'running' }
  | { status: 'done'; value: T }
  | { status: 'failed'; error: ShownError };

export interface AppState {
  client: EngineClient | null;
  gpu: Task<GpuSummary>;
  selfCheck: Task<SelfCheckResult>;
  /** Set when the device is lost after start-up. */
  deviceLost: ShownError | null;
  /** Connects the worker client and acquires the GPU. */
  start(client: EngineClient): Promise<void>;
  runSelfCheck(): Promise<void>;
}

/** Any thrown value (an EngineRequestError from the worker, an EngineError the UI raised itself, a bug) as shown. */
export function toShown(error: unknown): ShownError {
  const data = toErrorData(error);
  return { code: data.code, name: errorNameOf(data), message: data.message };
}

export const useApp = create<AppState>()((set, get) => {
  /** Runs a request and records its progress under `key`. */
  async function track<K extends 'gpu' | 'selfCheck'>(key: K, run: (client: EngineClient) => Promise<unknown>) {
    const client = get().client;
    if (!client) return;
    set({ [key]: { status: 'running' } } as Partial<AppState>);
    try {
      const value = await run(client);
      set({ [key]: { status: 'done', value } } as Partial<AppState>);
    } catch (error) {
      set({ [key]: { status: 'failed', error: toShown(error) } } as Partial<AppState>);
    }
  }

  return {
    client: null,
    gpu: { status: 'idle' },
    selfCheck: { status: 'idle' },
    deviceLost: null,
    async start(client) {
      if (get().client) return;
      set({ client });
      client.onEvent((event) => {
        if (event.type === 'deviceLost') set({ deviceLost: { code: event.code, name: errorNameOf(event), message: event.message } });
      });
      await track('gpu', (c) => c.init());
    },
    runSelfCheck: () => track('selfCheck', (c) => c.selfCheck()),
  };
});
