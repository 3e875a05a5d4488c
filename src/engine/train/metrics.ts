/** Classification metrics from predicted and true label ids (pure functions). */

import type { ClassificationMetrics } from '../../shared/training';

export type { ClassificationMetrics };

export function classificationMetrics(predicted: ArrayLike<number>, actual: ArrayLike<number>, classes: number): ClassificationMetrics {
  const n = actual.length;
  if (predicted.length !== n) throw new Error(`metrics: ${predicted.length} predictions for ${n} labels`);
  const confusion = Array.from({ length: classes }, () => new Array<number>(classes).fill(0)); // [actual][predicted]
  for (let i = 0; i < n; i++) confusion[actual[i]][predicted[i]]++;
  let correct = 0;
  const f1s: number[] = [];
  for (let c = 0; c < classes; c++) {
    correct += confusion[c][c];
    const tp = confusion[c][c];
    const fp = confusion.reduce((sum, row, a) => sum + (a === c ? 0 : row[c]), 0);
    const fn = confusion[c].reduce((sum, v, p) => sum + (p === c ? 0 : v), 0);
    if (tp + fp + fn === 0) continue;
    f1s.push((2 * tp) / (2 * tp + fp + fn));
  }
  let mcc: number | null = null;
  if (classes === 2) {
    const [[tn, fp], [fn, tp]] = confusion;
    const denominator = Math.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn));
    mcc = denominator === 0 ? 0 : (tp * tn - fp * fn) / denominator;
  }
  return { accuracy: n ? correct / n : 0, macroF1: f1s.length ? f1s.reduce((a, b) => a + b, 0) / f1s.length : 0, mcc, count: n };
}

/** Index of the largest value in each row of [rows, cols] logits. */
export function argmaxRows(logits: Float32Array, rows: number, cols: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let c = 1; c < cols; c++) if (logits[r * cols + c] > logits[r * cols + best]) best = c;
    out.push(best);
  }
  return out;
}

/** Sum over rows of −log softmax(logits_r)[label_r] (float64, max-subtracted), for a mean loss over batches. */
export function crossEntropySum(logits: Float32Array, labels: ArrayLike<number>, cols: number): number {
  let sum = 0;
  for (let r = 0; r < labels.length; r++) {
    const row = logits.subarray(r * cols, (r + 1) * cols);
    let max = -Infinity;
    for (const x of row) max = Math.max(max, x);
    let exps = 0;
    for (const x of row) exps += Math.exp(x - max);
    sum += max + Math.log(exps) - row[labels[r]];
  }
  return sum;
}
