/** Seeded random numbers (mulberry32): the same seed gives the same sequence in every browser and in Node. */

export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface SeededRandom {
  uniform(): number; // [0, 1)
  normal(): number; // standard normal (Box–Muller)
}

export function seededRandom(seed: number): SeededRandom {
  const uniform = mulberry32(seed);
  return { uniform, normal: () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform()) };
}
