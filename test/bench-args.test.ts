import { describe, expect, it } from 'vitest';
import { parseBenchArgs } from '../bench/args';

describe('benchmark options', () => {
  it('reads the shared options, and a benchmark\'s own through its hook', () => {
    expect(parseBenchArgs([], {})).toEqual({ quick: false, runs: 5 });
    expect(parseBenchArgs([], { CI: 'true' })).toEqual({ quick: true, runs: 5 });
    let batch: number | undefined;
    const own = { take: (arg: string, value: () => string) => (arg.startsWith('--batch') ? ((batch = Number(value())), true) : false), usage: '--batch N' };
    expect(parseBenchArgs(['--full', '--batch', '2', '--runs=3'], { CI: 'true' }, own)).toEqual({ quick: false, runs: 3 });
    expect(batch).toBe(2);
    expect(() => parseBenchArgs(['--batch', '2'], {})).toThrow('unknown option --batch (known: --quick, --full, --shapes small|full, --runs N)');
    expect(() => parseBenchArgs(['--nope'], {}, own)).toThrow('(known: --quick, --full, --shapes small|full, --runs N, --batch N)');
    expect(() => parseBenchArgs(['--runs', '0'], {})).toThrow('--runs takes a positive integer');
  });

  it('lets a benchmark set its own number of runs, which --runs still overrides', () => {
    const own = { take: () => false, usage: '', defaultRuns: 9 };
    expect(parseBenchArgs([], { CI: 'true' }, own)).toEqual({ quick: true, runs: 9 });
    expect(parseBenchArgs(['--runs', '3'], {}, own)).toEqual({ quick: false, runs: 3 });
  });
});
