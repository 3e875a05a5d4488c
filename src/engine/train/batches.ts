/** Seeded shuffling into batches, and tokenisation of a batch with dynamic padding. */
import type { Example } from '../io/datasets';
import type { TextTokenizer } from '../io/tokenizer';
import type { HostBatch } from '../model/batch';
import { seededRandom } from '../random';

/** Endless batches of example indices: a fresh seeded permutation per epoch; the last batch of an epoch may be short. */
export function* shuffledBatches(count: number, batchSize: number, seed: number): Generator<number[]> {
  if (count === 0) throw new Error('no examples to train on');
  const random = seededRandom(seed);
  for (;;) {
    const order = Array.from({ length: count }, (_, i) => i);
    for (let i = count - 1; i > 0; i--) {
      const j = Math.floor(random.uniform() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    for (let start = 0; start < count; start += batchSize) yield order.slice(start, start + batchSize);
  }
}

export function tokenizeBatch(tokenizer: TextTokenizer, examples: Example[], maxLength: number): HostBatch {
  const pairs = examples.some((e) => e.textPair !== undefined) ? examples.map((e) => e.textPair ?? '') : null;
  const { inputIds, attentionMask } = tokenizer.encodeBatch(examples.map((e) => e.text), pairs, maxLength);
  return { inputIds, attentionMask, labels: examples.map((e) => e.label) };
}
