/** The pruning explorer: ratios re-plan at once; prune now, evaluate a plan, sweep ratios. (Being built: issue 10.) */
export function ExplorerScreen() {
  return null;
}
