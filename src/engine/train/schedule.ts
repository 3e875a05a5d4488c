/**
 * Each run (and each Light-PEFT phase) has its own linear schedule: warm-up over its first
 * round(warmupRatio · total) steps to the peak, then linear decay to 0 at its own last step.
 */

/** Learning rate at a step (0-based): linear warmup to `peak`, then linear decay to 0 at `total`. */
export function linearScheduleLr(step: number, total: number, peak: number, warmupSteps: number): number {
  if (warmupSteps > 0 && step < warmupSteps) return (peak * (step + 1)) / warmupSteps;
  const remaining = total - warmupSteps;
  if (remaining <= 0) return peak;
  return Math.max(0, (peak * (total - step)) / remaining);
}

/** Warm-up steps of a schedule of `total` steps. */
export function warmupStepsOf(warmupRatio: number, total: number): number {
  return Math.round(warmupRatio * total);
}
