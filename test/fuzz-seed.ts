/**
 * One seed for every fast-check property of the parsers, so a CI failure reproduces: fast-check
 * prints the seed and path of a failing run. FUZZ_SEED picks another seed and FUZZ_RUNS multiplies
 * the numbers of runs, to explore further locally (e.g. FUZZ_SEED=7 FUZZ_RUNS=10 npx vitest run test/fuzz-real-files.test.ts).
 */
import fc from 'fast-check';

export const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? 20261205);

/** fast-check parameters: `numRuns` scaled by FUZZ_RUNS, and the seed. */
export const runs = (numRuns: number) => ({ numRuns: Math.max(1, Math.round(numRuns * Number(process.env.FUZZ_RUNS ?? 1))), seed: FUZZ_SEED });

/** For a file of properties that set their own numRuns: the seed for all of them. */
export function seedFastCheck(): void {
  fc.configureGlobal({ seed: FUZZ_SEED });
}
