/**
 * The engine's home in the browser: a dedicated worker that owns the GPU device. It answers
 * each request of protocol.ts with one reply (or an error reply) and never lets GPU objects
 * leave this thread.
 */
import { acquireGpu } from '../engine/gpu/device';
import { GpuContext } from '../engine/gpu/context';
import { errorReply, type Reply, type Request, type WorkerMessage } from './protocol';
import { globalScopeName, runSelfCheck } from './self-check';

declare const self: DedicatedWorkerGlobalScope;

const MiB = 1024 * 1024;

let context: Promise<GpuContext> | null = null;

/** The worker's one GPU context, acquired on first use; a failed attempt is retried next time. */
function gpuContext(): Promise<GpuContext> {
  context ??= acquireGpu(navigator.gpu).then((gpu) => {
    gpu.lost.then((error) => {
      context = null;
      post({ type: 'deviceLost', name: error.name, message: error.message });
    });
    return new GpuContext(gpu);
  });
  context.catch(() => (context = null));
  return context;
}

async function handle(request: Request): Promise<Reply> {
  switch (request.type) {
    case 'init': {
      const { gpu } = await gpuContext();
      return {
        type: 'init',
        id: request.id,
        gpu: {
          ...gpu.adapterInfo,
          features: [...gpu.features],
          maxStorageBufferBindingSizeMiB: gpu.limits.maxStorageBufferBindingSize / MiB,
          maxBufferSizeMiB: gpu.limits.maxBufferSize / MiB,
          scope: globalScopeName(),
        },
      };
    }
    case 'selfCheck':
      return { type: 'selfCheck', id: request.id, result: await runSelfCheck(await gpuContext()) };
    case 'bench': {
      // Loaded on demand: the benchmark is not part of the app's normal start-up.
      const { runKernelBench } = await import('../../bench/suite');
      const report = await runKernelBench(await gpuContext(), { quick: request.quick, runs: request.runs, runtime: 'chromium' });
      return { type: 'bench', id: request.id, report: report as unknown as Record<string, unknown> };
    }
  }
}

function post(message: WorkerMessage): void {
  self.postMessage(message);
}

self.onmessage = async (event: MessageEvent<Request>) => {
  const request = event.data;
  const id = typeof request?.id === 'number' ? request.id : -1;
  try {
    const reply = await handle(request);
    if (!reply) throw new Error(`Unknown request type ${JSON.stringify(request?.type)}`);
    post(reply);
  } catch (error) {
    post(errorReply(id, error));
  }
};
