/**
 * What both attention strategies (`attention-workgroup.ts`, `attention-serial.ts`) share: the
 * shape, the uniforms every attention shader binds at 0, and the dropout keep-mask. Kept
 * apart from `attention.ts` so the strategy files need not import the dispatcher that imports them.
 */
import { WGSL_DROPOUT_HASH } from './elementwise';

export const ATTENTION_PARAMS = {
  batch: 'u32',
  seqLen: 'u32',
  heads: 'u32',
  headDim: 'u32',
  seed: 'u32',
  dropP: 'f32',
  dropScale: 'f32',
  invSqrtD: 'f32',
} as const;

export interface AttentionShape {
  batch: number;
  seqLen: number;
  heads: number;
  headDim: number;
}

/** The same stateless keep-mask as elementwise dropout, over the flat probs index. */
export function dropoutWgsl(enabled: boolean): string {
  if (!enabled) return 'fn dropoutFactor(index: u32) -> f32 { return 1.0; }';
  return /* wgsl */ `${WGSL_DROPOUT_HASH}
// 0 for a dropped element, 1/(1-p) for a kept one.
fn dropoutFactor(index: u32) -> f32 {
  return select(0.0, p.dropScale, dropout_keep(p.seed, index, p.dropP));
}`;
}
