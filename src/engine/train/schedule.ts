/** Learning rate at a step (0-based): linear warmup to `peak`, then linear decay to 0 at `total`. */
export function linearScheduleLr(step: number, total: number, peak: number, warmupSteps: number): number {
  if (warmupSteps > 0 && step < warmupSteps) return (peak * (step + 1)) / warmupSteps;
  const remaining = total - warmupSteps;
  if (remaining <= 0) return peak;
  return Math.max(0, (peak * (total - step)) / remaining);
}
