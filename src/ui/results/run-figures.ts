/** A saved run's figures as the comparison table shows them (pure: the settings and details the worker sent). */
import type { RunDetails, RunSettings } from '../../workers/protocol';
import type { ClassificationMetrics } from '../../shared/training';

/** The PEFT method in words, "+ Light-PEFT" when the run pruned with it. */
export function methodOf(settings: RunSettings | null): string {
  if (!settings) return 'unknown';
  const { method, lightPeft } = settings.options;
  const base = method.kind === 'lora' ? `LoRA (rank ${method.rank})` : `Adapter (size ${method.size})`;
  return lightPeft ? `${base} + Light-PEFT` : base;
}

/** The run's final metrics, else its last validation evaluation (a run stopped early), else null. */
export function latestMetrics(details: RunDetails): { metrics: ClassificationMetrics; step: number | null } | null {
  if (details.metrics) return { metrics: details.metrics, step: null };
  const last = details.evaluations[details.evaluations.length - 1];
  return last ? { metrics: last, step: last.step } : null;
}
