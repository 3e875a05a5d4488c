/**
 * The browser kernel benchmark's own worker (apart from the app's engine worker): acquires the
 * GPU, runs bench/suite.ts once and posts the report, or the error as data.
 */
import { acquireGpu } from '../src/gpu/device';
import { GpuContext } from '../src/gpu/context';
import { toErrorData } from '../src/errors';
import { runKernelBench, type BenchReport } from './suite';
import type { BenchReply } from './worker-panel';

export interface BenchWorkerRequest {
  quick: boolean;
  runs?: number;
}

export type BenchWorkerReply = BenchReply<BenchReport>;

declare const self: DedicatedWorkerGlobalScope;

self.onmessage = async (event: MessageEvent<BenchWorkerRequest>) => {
  const { quick, runs } = event.data;
  let reply: BenchWorkerReply;
  try {
    const ctx = new GpuContext(await acquireGpu(navigator.gpu));
    reply = { type: 'done', report: await runKernelBench(ctx, { quick, runs, runtime: 'chromium' }) };
  } catch (error) {
    reply = { type: 'failed', error: toErrorData(error) };
  }
  self.postMessage(reply);
};
