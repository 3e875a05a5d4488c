/** Results: before and after pruning, runs side by side, try the model, export. (Being built: issue 10.) */
export function ResultsScreen() {
  return null;
}
