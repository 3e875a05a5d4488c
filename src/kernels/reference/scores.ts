/** CPU references for scores.ts (float64 accumulation). */

export interface RankScoresRefArgs {
  a: Float32Array; // [rank, inFeatures]
  gradA: Float32Array; // [rank, inFeatures]
  b: Float32Array; // [outFeatures, rank]
  gradB: Float32Array; // [outFeatures, rank]
  rank: number;
  inFeatures: number;
  outFeatures: number;
  out: Float32Array; // [rank], read only when beta ≠ 0
  beta: number;
}

export function rankScoresRef(args: RankScoresRefArgs): void {
  const { a, gradA, b, gradB, rank, inFeatures, outFeatures, out, beta } = args;
  for (let r = 0; r < rank; r++) {
    let sumA = 0;
    for (let j = 0; j < inFeatures; j++) sumA += a[r * inFeatures + j] * gradA[r * inFeatures + j];
    let sumB = 0;
    for (let i = 0; i < outFeatures; i++) sumB += b[i * rank + r] * gradB[i * rank + r];
    const score = Math.abs(sumA / inFeatures) + Math.abs(sumB / outFeatures);
    out[r] = beta !== 0 ? beta * out[r] + score : score;
  }
}

export interface ImportanceRatioRefArgs {
  delta: Float32Array; // [tokens, features]
  base: Float32Array; // [tokens, features]
  tokenMask: Float32Array; // [tokens]
  tokens: number;
  features: number;
  out: Float32Array; // [1], read only when beta ≠ 0
  beta: number;
}

/** The mean ratio alone (what the kernel adds to beta·out). */
export function importanceRatioValue(args: Omit<ImportanceRatioRefArgs, 'out' | 'beta'>): number {
  const { delta, base, tokenMask, tokens, features } = args;
  let sum = 0;
  let count = 0;
  for (let t = 0; t < tokens; t++) {
    if (tokenMask[t] === 0) continue;
    count++;
    let dd = 0;
    let bb = 0;
    for (let f = 0; f < features; f++) {
      dd += delta[t * features + f] ** 2;
      bb += base[t * features + f] ** 2;
    }
    const ratio = Math.sqrt(dd) / Math.sqrt(bb);
    if (Number.isFinite(ratio)) sum += ratio; // NaN/inf counts as 0
  }
  return count > 0 ? sum / count : 0;
}

export function importanceRatioRef(args: ImportanceRatioRefArgs): void {
  const value = importanceRatioValue(args);
  args.out[0] = args.beta !== 0 ? args.beta * args.out[0] + value : value;
}
