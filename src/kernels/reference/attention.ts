/**
 * CPU reference for attention.ts, in float64: same shapes, same dropout keep-mask.
 * Q, K, V, O: [B*T, H*d] (head h in columns h*d..(h+1)*d), probs: [B,H,T,T].
 */
import type { AttentionDropout, AttentionShape } from '../attention';
import { dropoutKeep } from './elementwise';

type Values = ArrayLike<number>;
type Writable = Float32Array | Float64Array;

/** The attention kernel's keep-mask: elementwise dropout's, over the flat probs index. */
export const attentionDropoutKeep = dropoutKeep;

/** D(1) for element `index`: 0 if dropped, 1/(1−p) if kept, exactly 1 without dropout. */
function dropoutFactor(dropout: AttentionDropout | undefined, index: number): number {
  if (!dropout || dropout.p <= 0) return 1;
  return attentionDropoutKeep(dropout.seed, index, dropout.p) ? 1 / (1 - dropout.p) : 0;
}

export interface AttentionForwardRefArgs extends AttentionShape {
  q: Values;
  k: Values;
  v: Values;
  attnMask: Values; // [B*T]
  headMask: Values; // [H]
  dropout?: AttentionDropout;
}

export function attentionForwardRef(args: AttentionForwardRefArgs): { probs: Float64Array; out: Float64Array } {
  const { batch: B, seqLen: T, heads: H, headDim: D, q, k, v, attnMask, headMask, dropout } = args;
  const width = H * D;
  const scale = 1 / Math.sqrt(D);
  const probs = new Float64Array(B * H * T * T); // [B,H,T,T]
  const out = new Float64Array(B * T * width); // [B*T, H*d]
  const scores = new Float64Array(T);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      for (let i = 0; i < T; i++) {
        const rowBase = ((b * H + h) * T + i) * T;
        let max = -Infinity;
        for (let j = 0; j < T; j++) {
          if (attnMask[b * T + j] <= 0.5) continue;
          let dot = 0;
          for (let c = 0; c < D; c++) dot += q[(b * T + i) * width + h * D + c] * k[(b * T + j) * width + h * D + c];
          scores[j] = dot * scale;
          max = Math.max(max, scores[j]);
        }
        let sum = 0;
        for (let j = 0; j < T; j++) {
          const e = attnMask[b * T + j] > 0.5 ? Math.exp(scores[j] - max) : 0;
          probs[rowBase + j] = e;
          sum += e;
        }
        for (let j = 0; j < T; j++) probs[rowBase + j] = sum > 0 ? probs[rowBase + j] / sum : 0;
        for (let j = 0; j < T; j++) {
          const weight = headMask[h] * probs[rowBase + j] * dropoutFactor(dropout, rowBase + j); // P'[i,j]
          if (weight === 0) continue;
          for (let c = 0; c < D; c++) out[(b * T + i) * width + h * D + c] += weight * v[(b * T + j) * width + h * D + c];
        }
      }
    }
  }
  return { probs, out };
}

export interface AttentionBackwardRefArgs extends AttentionShape {
  dOut: Values; // [B*T, H*d]
  q: Values;
  k: Values;
  v: Values;
  headMask: Values; // [H]
  probs: Values; // [B,H,T,T] from the forward
  /** [H], accumulated (+=) like the kernel's. */
  dHeadMask: Writable;
  dropout?: AttentionDropout;
}

/** Returns dQ, dK, dV ([B*T, H*d]) and adds the head-mask gradient into `dHeadMask`. */
export function attentionBackwardRef(args: AttentionBackwardRefArgs): { dQ: Float64Array; dK: Float64Array; dV: Float64Array } {
  const { batch: B, seqLen: T, heads: H, headDim: D, dOut, q, k, v, headMask, probs, dHeadMask, dropout } = args;
  const width = H * D;
  const scale = 1 / Math.sqrt(D);
  const dQ = new Float64Array(B * T * width);
  const dK = new Float64Array(B * T * width);
  const dV = new Float64Array(B * T * width);
  const dProb = new Float64Array(T);
  for (let h = 0; h < H; h++) {
    const m = headMask[h];
    let dm = 0;
    for (let b = 0; b < B; b++) {
      for (let i = 0; i < T; i++) {
        const rowBase = ((b * H + h) * T + i) * T;
        const outRow = (b * T + i) * width + h * D;
        let rowDot = 0; // Σ_j dP·P
        for (let j = 0; j < T; j++) {
          const factor = dropoutFactor(dropout, rowBase + j);
          const prob = probs[rowBase + j];
          let dMasked = 0; // dP' = dO Vᵀ
          for (let c = 0; c < D; c++) dMasked += dOut[outRow + c] * v[(b * T + j) * width + h * D + c];
          dm += dMasked * prob * factor;
          dProb[j] = m * dMasked * factor;
          rowDot += dProb[j] * prob;
          const weight = m * prob * factor; // P'[i,j]
          for (let c = 0; c < D; c++) dV[(b * T + j) * width + h * D + c] += weight * dOut[outRow + c];
        }
        for (let j = 0; j < T; j++) {
          const dScore = probs[rowBase + j] * (dProb[j] - rowDot);
          if (dScore === 0) continue;
          const keyRow = (b * T + j) * width + h * D;
          for (let c = 0; c < D; c++) {
            dQ[outRow + c] += dScore * k[keyRow + c] * scale;
            dK[keyRow + c] += dScore * q[outRow + c] * scale;
          }
        }
      }
    }
    dHeadMask[h] += dm;
  }
  return { dQ, dK, dV };
}
