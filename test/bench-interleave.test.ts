import { afterEach, describe, expect, it, vi } from 'vitest';
import { interleavedTimes, median, roundOrders } from '../bench/interleave';

describe('interleaved timing', () => {
  it('rotates the order each round so every work takes every position equally often', () => {
    expect(roundOrders(3, 3)).toEqual([
      [0, 1, 2],
      [1, 2, 0],
      [2, 0, 1],
    ]);
    const orders = roundOrders(8, 4);
    for (let position = 0; position < 4; position++) {
      const counts = [0, 0, 0, 0];
      for (const order of orders) counts[order[position]]++;
      expect(counts).toEqual([2, 2, 2, 2]);
    }
  });

  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('runs each work once per round in that order and files each time under its own work', async () => {
    let clock = 0;
    vi.spyOn(performance, 'now').mockImplementation(() => clock);
    const ran: string[] = [];
    // Work a takes 10 ms, b 20 ms, c 30 ms on the fake clock.
    const work = (name: string, ms: number) => async () => {
      ran.push(name);
      clock += ms;
    };
    const times = await interleavedTimes(2, [work('a', 10), work('b', 20), work('c', 30)]);
    expect(ran).toEqual(['a', 'b', 'c', 'b', 'c', 'a']);
    expect(times).toEqual([
      [10, 10],
      [20, 20],
      [30, 30],
    ]);
  });

  it('takes the middle value, the mean of the two middle ones for an even count', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(() => median([])).toThrow(/no values/);
  });
});
