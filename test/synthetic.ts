/** Synthetic test material: a small learnable text task; random checkpoints come from the engine. */
export { randomWeightTensors, randomWeights } from '../src/engine/model/random-weights';
import { rng } from './helpers';
import type { Example } from '../src/engine/io/datasets';

const WORDS = 'the software license may copy modify distribute work program source code terms conditions any person without warranty'.split(' ');
const FRUIT = ['apple', 'banana', 'cherry'];

/** Sentences of license words; label 1 when a fruit is mentioned. */
export function makeFruitExamples(n: number, seed: number): Example[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => {
    const words = Array.from({ length: 6 + Math.floor(r() * 6) }, () => WORDS[Math.floor(r() * WORDS.length)]);
    const label = r() < 0.5 ? 1 : 0;
    if (label) words.splice(Math.floor(r() * words.length), 0, FRUIT[Math.floor(r() * FRUIT.length)]);
    return { text: words.join(' '), label };
  });
}

