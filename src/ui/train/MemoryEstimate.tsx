import { useApp } from '../store';
import { formatBytes } from '../format';
import type { TrainForm } from '../state/train';
import type { ModelSummary } from '../../workers/protocol';
import { estimateRunPeak } from '../../shared/memory-estimate';

/**
 * The GPU memory the run in the form would need at its peak, before it starts (the worker checks
 * the same estimate), with a warning when one of its tensors cannot fit a buffer of this GPU.
 */
export function MemoryEstimate({ form, model }: { form: TrainForm; model: ModelSummary }) {
  const gpu = useApp((s) => s.gpu);
  const [batchSize, maxLength, rank, size] = [form.batchSize, form.maxLength, form.rank, form.adapterSize].map(Number);
  if (![batchSize, maxLength].every((n) => Number.isInteger(n) && n > 0)) return null;
  const peft = form.method === 'adapter' ? { kind: 'adapter' as const, size } : { kind: 'lora' as const, rank, targets: form.targets };
  const estimate = estimateRunPeak(model, { batchSize, maxLength, labels: Math.max(2, model.id2label.length), peft, lightPeft: form.method === 'light-peft' });
  const limitMiB = gpu.status === 'done' ? Math.min(gpu.value.maxStorageBufferBindingSizeMiB, gpu.value.maxBufferSizeMiB) : null;
  const tooBig = limitMiB !== null && estimate.largestTensor.bytes > limitMiB * 2 ** 20;
  return (
    <p className={tooBig ? 'note warn-text' : 'muted small'} role={tooBig ? 'alert' : undefined} data-testid="train-memory-estimate" data-bytes={estimate.total} data-fits={!tooBig} data-tour="memory-estimate">
      GPU memory: about {formatBytes(estimate.total)} at the peak (model weights {formatBytes(estimate.weights)}, activations {formatBytes(estimate.activations)}; activations grow with the batch size and the max length).
      {tooBig && ` One of its tensors, ${estimate.largestTensor.what}, needs ${formatBytes(estimate.largestTensor.bytes)}: more than this GPU holds in one buffer (${formatBytes(limitMiB * 2 ** 20)}). Lower the batch size or the max length.`}
    </p>
  );
}
