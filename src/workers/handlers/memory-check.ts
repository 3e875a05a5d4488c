/**
 * A run's GPU memory, before and when it runs out: the estimate of its peak (shared/memory-estimate.ts),
 * a refusal before it starts when one of its tensors cannot fit a GPU buffer of this adapter, and
 * an out-of-memory error that says what the run needed and what to change.
 */
import type { GpuContext } from '../../gpu/context';
import type { RunSettings } from '../../engine/train/run-record';
import { OutOfMemoryError, SettingError } from '../../errors';
import { formatBytes } from '../../shared/format-bytes';
import { estimateRunPeak, outOfMemoryAdvice, type MemoryEstimate } from '../../shared/memory-estimate';
import type { ModelSummary } from '../protocol';

/** The run's peak on the loaded model (shared/memory-estimate.ts estimateRunPeak). */
export function runMemoryEstimate(summary: ModelSummary, settings: Pick<RunSettings, 'options' | 'peft' | 'id2label'>): MemoryEstimate {
  const { options, peft } = settings;
  return estimateRunPeak(summary, {
    batchSize: options.batchSize,
    maxLength: options.maxLength,
    labels: settings.id2label.length,
    peft,
    lightPeft: Boolean(options.lightPeft),
  });
}

/** Refuses a run whose largest tensor exceeds what one GPU buffer may hold on this adapter. */
export function checkFitsAdapter(ctx: GpuContext, estimate: MemoryEstimate, options: { batchSize: number; maxLength: number }): void {
  const limit = Math.min(ctx.gpu.limits.maxStorageBufferBindingSize, ctx.gpu.limits.maxBufferSize);
  const { bytes, what } = estimate.largestTensor;
  if (bytes > limit) {
    throw new SettingError(
      `A batch of ${options.batchSize} × ${options.maxLength} tokens needs ${what} of ${formatBytes(bytes)}, and this GPU holds at most ${formatBytes(limit)} in one buffer. Lower the batch size or the max length.`,
    );
  }
}

/** The error as thrown, or for an out-of-memory error the same error saying what this run needs and what to change. */
export function explainOutOfMemory(error: unknown, estimate: MemoryEstimate, options: { batchSize: number; maxLength: number; lightPeft?: unknown }): unknown {
  if (!(error instanceof OutOfMemoryError)) return error;
  return error.withAdvice(outOfMemoryAdvice(estimate, { batchSize: options.batchSize, maxLength: options.maxLength, lightPeft: Boolean(options.lightPeft) }));
}
