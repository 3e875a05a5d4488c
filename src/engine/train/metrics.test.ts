import { describe, expect, it } from 'vitest';
import { argmaxRows, classificationMetrics, crossEntropySum } from './metrics';

describe('classification metrics', () => {
  it('match hand-computed values on a binary confusion matrix', () => {
    // actual:    1 1 1 1 0 0 0 0 0 0 ; predicted: 1 1 1 0 1 0 0 0 0 0 → tp 3, fn 1, fp 1, tn 5
    const actual = [1, 1, 1, 1, 0, 0, 0, 0, 0, 0];
    const predicted = [1, 1, 1, 0, 1, 0, 0, 0, 0, 0];
    const m = classificationMetrics(predicted, actual, 2);
    expect(m.accuracy).toBeCloseTo(0.8);
    expect(m.macroF1).toBeCloseTo((6 / 8 + 10 / 12) / 2); // F1(1) = 2·3/(6+1+1), F1(0) = 2·5/(10+1+1)
    expect(m.mcc).toBeCloseTo((3 * 5 - 1 * 1) / Math.sqrt(4 * 4 * 6 * 6));
  });

  it('gives MCC 0 for a constant predictor and null for three classes', () => {
    expect(classificationMetrics([0, 0, 0, 0], [0, 1, 0, 1], 2).mcc).toBe(0);
    const m = classificationMetrics([0, 1, 2, 2], [0, 1, 2, 1], 3);
    expect(m.mcc).toBeNull();
    expect(m.accuracy).toBe(0.75);
  });

  it('argmax per row, ties to the first', () => {
    expect(argmaxRows(Float32Array.of(1, 2, 3, 3, 0, -1, 5, 5, 5), 3, 3)).toEqual([2, 0, 0]);
  });

  it('cross-entropy sums −log softmax of the label, stable for large logits', () => {
    // Row 1: logits (0, ln 3) → p(label 1) = 3/4. Row 2: (1000, 1000) → p = 1/2 (naive exp overflows).
    const sum = crossEntropySum(Float32Array.of(0, Math.log(3), 1000, 1000), [1, 0], 2);
    expect(sum).toBeCloseTo(-Math.log(0.75) - Math.log(0.5), 6);
  });
});
