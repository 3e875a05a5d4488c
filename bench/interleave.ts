/**
 * Timing several things against each other on a machine whose speed drifts (a shared CPU, a JIT
 * warming up, a GPU clocking up): one run of each per round, the order rotating round to round, so
 * a slow spell lands on every side of a ratio instead of on whichever ran then.
 */

/** Wall times (ms) of `rounds` runs of each work, index-aligned with `works`. */
export async function interleavedTimes(rounds: number, works: readonly (() => Promise<void>)[]): Promise<number[][]> {
  const times = works.map(() => [] as number[]);
  for (const order of roundOrders(rounds, works.length)) {
    for (const i of order) {
      const start = performance.now();
      await works[i]();
      times[i].push(performance.now() - start);
    }
  }
  return times;
}

/** Round r runs the works starting at r mod n: each work takes each position equally often. */
export function roundOrders(rounds: number, n: number): number[][] {
  return Array.from({ length: rounds }, (_, r) => Array.from({ length: n }, (_, k) => (r + k) % n));
}

/** The middle value (the mean of the two middle ones for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
