/** Classification metrics from predicted and true label ids (pure functions). */

import type { ClassificationMetrics } from '../../shared/training';

export type { ClassificationMetrics };

/** One class's scores against the rest. */
export interface ClassScores {
  /** tp / (tp + fp): of the examples predicted as this class, the share that are; 0 if never predicted. */
  precision: number;
  /** tp / (tp + fn): of the examples of this class, the share predicted as it; 0 if absent from the labels. */
  recall: number;
  /** 2tp / (2tp + fp + fn), their harmonic mean; 0 when tp is 0. */
  f1: number;
  /** Examples labelled with this class. */
  support: number;
  /** Examples predicted as this class. */
  predictedCount: number;
}

export function classificationMetrics(predicted: ArrayLike<number>, actual: ArrayLike<number>, classes: number): ClassificationMetrics {
  const n = actual.length;
  const confusion = confusionMatrix(predicted, actual, classes);
  const correct = confusion.reduce((sum, row, c) => sum + row[c], 0);
  // Classes absent from both truth and predictions have no F1 and stay out of the mean.
  const f1s = classScoresFromConfusion(confusion)
    .filter((s) => s.support + s.predictedCount > 0)
    .map((s) => s.f1);
  let mcc: number | null = null;
  if (classes === 2) {
    const [[tn, fp], [fn, tp]] = confusion;
    const denominator = Math.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn));
    mcc = denominator === 0 ? 0 : (tp * tn - fp * fn) / denominator;
  }
  return { accuracy: n ? correct / n : 0, macroF1: f1s.length ? f1s.reduce((a, b) => a + b, 0) / f1s.length : 0, mcc, count: n };
}

/** Precision, recall and F1 of each class (one-vs-rest), indexed by class id. */
export function perClassScores(predicted: ArrayLike<number>, actual: ArrayLike<number>, classes: number): ClassScores[] {
  return classScoresFromConfusion(confusionMatrix(predicted, actual, classes));
}

/** [actual][predicted] counts; every id must be an integer class id. */
function confusionMatrix(predicted: ArrayLike<number>, actual: ArrayLike<number>, classes: number): number[][] {
  const n = actual.length;
  if (predicted.length !== n) throw new Error(`metrics: ${predicted.length} predictions for ${n} labels`);
  const confusion = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < n; i++) {
    for (const [what, id] of [['label', actual[i]], ['prediction', predicted[i]]] as const) {
      if (!(Number.isInteger(id) && id >= 0 && id < classes)) throw new Error(`metrics: ${what} ${id} at row ${i} is not a class id in [0, ${classes})`);
    }
    confusion[actual[i]][predicted[i]]++;
  }
  return confusion;
}

function classScoresFromConfusion(confusion: number[][]): ClassScores[] {
  return confusion.map((row, c) => {
    const tp = row[c];
    const fp = confusion.reduce((sum, r, a) => sum + (a === c ? 0 : r[c]), 0); // predicted c, labelled otherwise
    const fn = row.reduce((sum, v, p) => sum + (p === c ? 0 : v), 0); // labelled c, predicted otherwise
    return {
      precision: tp + fp ? tp / (tp + fp) : 0,
      recall: tp + fn ? tp / (tp + fn) : 0,
      f1: tp ? (2 * tp) / (2 * tp + fp + fn) : 0,
      support: tp + fn,
      predictedCount: tp + fp,
    };
  });
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
