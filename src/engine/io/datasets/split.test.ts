import { describe, expect, it } from 'vitest';
import { BadInputError } from '../../../errors';
import { splitTrainValidation } from './split';

/** `counts[c]` examples of class c, each with a unique id. */
function examples(counts: number[]): { id: number; label: number }[] {
  const out: { id: number; label: number }[] = [];
  counts.forEach((count, label) => {
    for (let i = 0; i < count; i++) out.push({ id: out.length, label });
  });
  // Interleave deterministically so classes are not in blocks.
  return out.sort((a, b) => ((a.id * 7919) % 101) - ((b.id * 7919) % 101) || a.id - b.id);
}

const countBy = (items: { label: number }[], classes: number) => {
  const counts = new Array<number>(classes).fill(0);
  for (const e of items) counts[e.label]++;
  return counts;
};

describe('splitTrainValidation', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    const data = examples([60, 40]);
    const a = splitTrainValidation(data, { seed: 7 });
    const b = splitTrainValidation(data, { seed: 7 });
    expect(a).toEqual(b);
    const c = splitTrainValidation(data, { seed: 8 });
    expect(c.validation.map((e) => e.id)).not.toEqual(a.validation.map((e) => e.id));
  });

  it('sizes: round(n·fraction), at least 1, leaving at least 1 for training; nothing lost or repeated', () => {
    for (const [n, fraction, expected] of [[100, 0.1, 10], [95, 0.1, 10], [94, 0.1, 9], [3, 0.1, 1], [10, 0.8, 8], [2, 0.5, 1]] as const) {
      const data = examples([Math.ceil(n / 2), Math.floor(n / 2)]);
      const { train, validation } = splitTrainValidation(data, { seed: 1, validationFraction: fraction });
      expect(validation).toHaveLength(expected);
      expect(train).toHaveLength(n - expected);
      expect([...train, ...validation].map((e) => e.id).sort((x, y) => x - y)).toEqual(data.map((e) => e.id).sort((x, y) => x - y));
    }
  });

  it('keeps the original order within each part', () => {
    const data = examples([30, 30]);
    const { train, validation } = splitTrainValidation(data, { seed: 3 });
    const position = new Map(data.map((e, i) => [e.id, i]));
    for (const part of [train, validation]) {
      const positions = part.map((e) => position.get(e.id)!);
      expect(positions).toEqual([...positions].sort((x, y) => x - y));
    }
  });

  it('stratifies: each class keeps its share (largest remainder)', () => {
    const data = examples([700, 250, 50]);
    for (const seed of [0, 1, 2, 3]) {
      const { validation, train } = splitTrainValidation(data, { seed, validationFraction: 0.2 });
      expect(countBy(validation, 3)).toEqual([140, 50, 10]);
      expect(countBy(train, 3)).toEqual([560, 200, 40]);
    }
    const uneven = splitTrainValidation(examples([5, 3, 2]), { seed: 5, validationFraction: 0.5 });
    expect(countBy(uneven.validation, 3)).toEqual([3, 1, 1]); // 2.5, 1.5, 1 → remainders go to the lower classes
  });

  it('never moves the last example of a class into validation', () => {
    const { train, validation } = splitTrainValidation(examples([2, 2, 2]), { seed: 9, validationFraction: 0.9 });
    expect(validation).toHaveLength(3);
    expect(countBy(train, 3)).toEqual([1, 1, 1]);
  });

  it('falls back to a plain seeded split when a class has a single example', () => {
    const data = examples([10, 1]);
    const a = splitTrainValidation(data, { seed: 4, validationFraction: 0.3 });
    expect(a.validation).toHaveLength(3);
    expect(splitTrainValidation(data, { seed: 4, validationFraction: 0.3 })).toEqual(a);
  });

  it('rejects fewer than 2 examples and fractions outside (0, 1)', () => {
    expect(() => splitTrainValidation([{ label: 0 }], { seed: 1, file: 'tiny.csv' })).toThrow(BadInputError);
    expect(() => splitTrainValidation([{ label: 0 }], { seed: 1, file: 'tiny.csv' })).toThrow('tiny.csv: has 1 example; splitting off a validation set needs at least 2');
    expect(() => splitTrainValidation(examples([5, 5]), { seed: 1, validationFraction: 1 })).toThrow(RangeError);
    expect(() => splitTrainValidation(examples([5, 5]), { seed: 1, validationFraction: 0 })).toThrow(RangeError);
  });
});
