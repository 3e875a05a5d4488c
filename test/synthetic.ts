/** Synthetic test material: a small learnable text task; random checkpoints come from the engine. */
export { randomWeightTensors, randomWeights } from '../src/engine/model/random-weights';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { rng } from './helpers';
import { loadTokenizer, type TextTokenizer } from '../src/engine/io/tokenizer';
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


/** The 400-token test tokenizer in test/fixtures/tokenizer-tiny (made by tools/demo/train_tokenizer.py). */
export function tinyTokenizer(): TextTokenizer {
  const dir = join(__dirname, 'fixtures', 'tokenizer-tiny');
  return loadTokenizer({
    tokenizerJson: JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8')),
    tokenizerConfig: JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8')),
  });
}
