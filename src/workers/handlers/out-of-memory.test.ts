/**
 * Running out of GPU memory (the pool's byte budget standing in for a full GPU): the error says
 * what the run needs and what to change, nothing is left half-built on the GPU, the loaded model
 * still works, and the run resumes from its checkpoint once memory is there.
 */
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { acquireNodeGpu } from '../../platform/node/gpu';
import { gpuProvider } from '../gpu-provider';
import { tinySession } from '../../../test/worker-session';
import type { TrainOptions } from '../protocol';
import { listRuns } from './runs';
import { resumeRun, startTraining } from './train';
import { runMemoryEstimate } from './memory-check';
import { newRunSettings } from './train-inputs';

const OPTIONS: TrainOptions = {
  method: { kind: 'lora', rank: 4, alpha: 8, targets: ['query', 'value'] },
  steps: 8,
  batchSize: 8,
  lr: 1e-2,
  maxLength: 24,
  seed: 5,
  dropout: false,
  checkpointEvery: 4,
  evalEvery: 0,
};
const SHAPE = { hidden: 32, heads: 2, layers: 2, intermediate: 128 };

describe('out of GPU memory', () => {
  it('says what the run needs and what to change, frees what it built, and the run resumes once there is room', async () => {
    const session = await tinySession('oom', SHAPE, gpuProvider(acquireNodeGpu));
    const ctx = await session.gpu();
    await ctx.sync();
    ctx.pool.trim();
    const estimate = runMemoryEstimate(session.model!.summary, newRunSettings(session.model!, session.data!, OPTIONS));
    // Room for the run's model and its first checkpoint, not for a step's activations.
    ctx.pool.budgetBytes = ctx.pool.allocatedBytes + estimate.weights + estimate.training + estimate.activations / 8;
    const error = await startTraining(session, OPTIONS, () => {}).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'OUT_OF_MEMORY' });
    const message = (error as Error).message;
    expect(message).toMatch(/^The GPU ran out of memory allocating .+\. This run needs about [\d.]+ [KM]i?B at its peak \(weights .*activations .*\)\. Activations grow with the batch size \(now 8\) and the max length \(now 24\)/);
    expect(message).toMatch(/can be resumed/);
    // Nothing half-built stays on the GPU: what is in use is the loaded model (now the run's, as
    // built before the step ran out), and nothing else.
    expect(ctx.pool.inUseBytes).toBeGreaterThan(0);
    session.model!.model.dispose();
    expect(ctx.pool.inUseBytes).toBe(0);
    const [run] = await listRuns(session);
    expect(run).toMatchObject({ step: 0, resumable: true });

    ctx.pool.budgetBytes = null; // the other tab closed
    const result = await resumeRun(session, run.id, () => {});
    expect(result).toMatchObject({ status: 'finished', step: 8 });
  });

  it('refuses a run one of whose tensors cannot fit a GPU buffer of this adapter, before it builds anything', async () => {
    const session = await tinySession('oom-binding', SHAPE, gpuProvider(acquireNodeGpu));
    const ctx = await session.gpu();
    const limits = ctx.gpu.limits;
    const saved = { ...limits };
    // An adapter whose buffers hold less than one [8 × 24, 128] FFN activation.
    limits.maxStorageBufferBindingSize = 8 * 24 * 128 * 4 - 4;
    try {
      await expect(startTraining(session, OPTIONS, () => {})).rejects.toMatchObject({
        code: 'SETTING',
        message: expect.stringMatching(/^A batch of 8 × 24 tokens needs FFN activations .* of 96(\.0)? KiB, and this GPU holds at most 96(\.0)? KiB in one buffer\. Lower the batch size or the max length\./),
      });
      expect(await listRuns(session)).toEqual([]);
    } finally {
      Object.assign(limits, saved);
    }
  });
});
