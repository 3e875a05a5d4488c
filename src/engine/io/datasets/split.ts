/**
 * A seeded train/validation split, used when no validation file is given. Stratified by label
 * (each class keeps its share, by largest remainder, and at least one training example) when
 * every class has ≥ 2 examples; a plain seeded shuffle split otherwise. Both parts keep the
 * examples' original order, so the same seed always gives the same split.
 */
import { BadInputError } from '../../../errors';
import { mulberry32 } from '../../random';

export interface SplitOptions {
  /** Share of the examples for validation, in (0, 1). Default 0.1. */
  validationFraction?: number;
  seed: number;
  /** Names the data in the error for too few examples. */
  file?: string;
}

export function splitTrainValidation<T extends { label: number }>(examples: readonly T[], options: SplitOptions): { train: T[]; validation: T[] } {
  const fraction = options.validationFraction ?? 0.1;
  if (!(fraction > 0 && fraction < 1)) throw new RangeError(`validationFraction must be between 0 and 1 (exclusive), got ${fraction}`);
  const n = examples.length;
  if (n < 2) {
    throw new BadInputError(
      options.file ?? 'the dataset',
      null,
      `has ${n} example${n === 1 ? '' : 's'}; splitting off a validation set needs at least 2: add rows or give a validation file`,
    );
  }
  const validationSize = Math.min(n - 1, Math.max(1, Math.round(n * fraction)));
  const random = mulberry32(options.seed);

  const byClass = new Map<number, number[]>();
  examples.forEach((e, i) => {
    const members = byClass.get(e.label);
    if (members) members.push(i);
    else byClass.set(e.label, [i]);
  });
  const classes = [...byClass.keys()].sort((a, b) => a - b);
  const inValidation = new Uint8Array(n);
  if (classes.every((c) => byClass.get(c)!.length >= 2)) {
    const quotas = allocate(classes.map((c) => byClass.get(c)!.length), validationSize);
    classes.forEach((c, k) => {
      const members = shuffle(byClass.get(c)!.slice(), random);
      for (let j = 0; j < quotas[k]; j++) inValidation[members[j]] = 1;
    });
  } else {
    const order = shuffle(Array.from({ length: n }, (_, i) => i), random);
    for (let j = 0; j < validationSize; j++) inValidation[order[j]] = 1;
  }
  const train: T[] = [];
  const validation: T[] = [];
  examples.forEach((e, i) => (inValidation[i] ? validation : train).push(e));
  return { train, validation };
}

/**
 * Splits `total` over classes in proportion to their sizes (largest remainder, ties to the
 * lower class), never taking a class's last example.
 */
function allocate(sizes: number[], total: number): number[] {
  const n = sizes.reduce((a, b) => a + b, 0);
  const exact = sizes.map((s) => (total * s) / n);
  const quotas = exact.map((x, k) => Math.min(Math.floor(x), sizes[k] - 1));
  let left = total - quotas.reduce((a, b) => a + b, 0);
  const order = sizes.map((_, k) => k).sort((a, b) => exact[b] - Math.floor(exact[b]) - (exact[a] - Math.floor(exact[a])) || a - b);
  while (left > 0) {
    let gave = false;
    for (const k of order) {
      if (left > 0 && quotas[k] < sizes[k] - 1) {
        quotas[k]++;
        left--;
        gave = true;
      }
    }
    if (!gave) break;
  }
  return quotas;
}

function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}
