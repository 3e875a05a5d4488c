import { describe, expect, it } from 'vitest';
import { argmaxRows, classificationMetrics, crossEntropySum, perClassScores } from './metrics';

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

describe('per-class precision, recall and F1', () => {
  it('binary with more false negatives than false positives', () => {
    // actual: 1 1 1 1 1 0 0 0 0 0; predicted: 1 1 0 0 0 1 0 0 0 0 → class 1: tp 2, fn 3, fp 1; class 0: tp 4, fn 1, fp 3
    const actual = [1, 1, 1, 1, 1, 0, 0, 0, 0, 0];
    const predicted = [1, 1, 0, 0, 0, 1, 0, 0, 0, 0];
    const [zero, one] = perClassScores(predicted, actual, 2);
    expect(one.precision).toBeCloseTo(2 / 3); // tp / (tp + fp)
    expect(one.recall).toBeCloseTo(2 / 5); // tp / (tp + fn)
    expect(one.f1).toBeCloseTo(4 / (4 + 1 + 3));
    expect([one.support, one.predictedCount]).toEqual([5, 3]);
    expect(zero.precision).toBeCloseTo(4 / 7);
    expect(zero.recall).toBeCloseTo(4 / 5);
    expect(zero.f1).toBeCloseTo(8 / (8 + 3 + 1));
    const m = classificationMetrics(predicted, actual, 2);
    expect(m.macroF1).toBeCloseTo((1 / 2 + 2 / 3) / 2);
    expect(m.mcc).toBeCloseTo((2 * 4 - 1 * 3) / Math.sqrt(3 * 5 * 5 * 7));
    // F1 weighs fp and fn alike, so macro-F1 alone cannot tell them apart; a formula that drops
    // one of them can be told: 2tp/(2tp + 2fp) would give class 1 an F1 of 2/3.
  });

  it('three classes, hand-computed', () => {
    // confusion [actual][predicted]: [3 1 0] [0 1 2] [2 0 1]
    const actual = [0, 0, 0, 0, 1, 1, 1, 2, 2, 2];
    const predicted = [0, 0, 0, 1, 1, 2, 2, 0, 0, 2];
    const scores = perClassScores(predicted, actual, 3);
    const expected = [
      { precision: 3 / 5, recall: 3 / 4, f1: 6 / 9, support: 4, predictedCount: 5 },
      { precision: 1 / 2, recall: 1 / 3, f1: 2 / 5, support: 3, predictedCount: 2 },
      { precision: 1 / 3, recall: 1 / 3, f1: 1 / 3, support: 3, predictedCount: 3 },
    ];
    scores.forEach((s, c) => {
      expect(s.precision, `precision ${c}`).toBeCloseTo(expected[c].precision);
      expect(s.recall, `recall ${c}`).toBeCloseTo(expected[c].recall);
      expect(s.f1, `f1 ${c}`).toBeCloseTo(expected[c].f1);
      expect(s.f1, `f1 ${c} is the harmonic mean`).toBeCloseTo((2 * s.precision * s.recall) / (s.precision + s.recall));
      expect([s.support, s.predictedCount]).toEqual([expected[c].support, expected[c].predictedCount]);
    });
    const m = classificationMetrics(predicted, actual, 3);
    expect(m.accuracy).toBe(0.5);
    expect(m.macroF1).toBeCloseTo((6 / 9 + 2 / 5 + 1 / 3) / 3);
    expect(m.mcc).toBeNull();
  });

  it('a class never predicted has precision 0 and F1 0, and counts in macro-F1', () => {
    const actual = [0, 1, 2, 2];
    const predicted = [0, 1, 1, 1];
    const never = perClassScores(predicted, actual, 3)[2];
    expect(never).toEqual({ precision: 0, recall: 0, f1: 0, support: 2, predictedCount: 0 });
    expect(classificationMetrics(predicted, actual, 3).macroF1).toBeCloseTo((1 + 2 / 4 + 0) / 3);
  });

  it('a class absent from the labels but predicted has recall 0 and F1 0, and counts in macro-F1', () => {
    const actual = [0, 0, 1, 1];
    const predicted = [0, 2, 1, 1];
    const absent = perClassScores(predicted, actual, 3)[2];
    expect(absent).toEqual({ precision: 0, recall: 0, f1: 0, support: 0, predictedCount: 1 });
    expect(classificationMetrics(predicted, actual, 3).macroF1).toBeCloseTo((2 / 3 + 1 + 0) / 3);
  });

  it('a class absent from both labels and predictions stays out of macro-F1', () => {
    const m = classificationMetrics([0, 1, 0, 0], [0, 1, 1, 0], 3);
    expect(m.macroF1).toBeCloseTo((4 / 5 + 2 / 3) / 2);
  });

  it('rejects ids that are not class ids, naming the row', () => {
    expect(() => classificationMetrics([0, 3], [0, 1], 3)).toThrow('metrics: prediction 3 at row 1 is not a class id in [0, 3)');
    expect(() => classificationMetrics([0, 1], [-1, 1], 2)).toThrow('metrics: label -1 at row 0 is not a class id in [0, 2)');
    expect(() => classificationMetrics([0], [0, 1], 2)).toThrow('metrics: 1 predictions for 2 labels');
  });
});
