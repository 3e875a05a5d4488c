/**
 * Multi-head scaled dot-product attention with a key padding mask, a Light-PEFT head mask and
 * attention-probability dropout, forward and backward.
 *
 *   S = Q_h K_hᵀ / √d (padding keys excluded)   P = softmax(S)   P' = m_h · D(P)   O_h = P' V_h
 *
 * D is dropout: keep/(1−p), with a stateless hash of (seed, flat index into probs) deciding
 * "keep", so the backward pass regenerates the forward's keep-mask without storing it.
 *
 * This file checks shapes, packs the uniforms and dispatches one of two strategies, chosen by the
 * device: `workgroup` for GPUs (`attention-workgroup.ts`) and `serial` for CPU-emulated WebGPU
 * (`attention-serial.ts`). Each file says how its passes split the work.
 * Q, K, V, O: [B*T, H*d] (head h in columns h*d..(h+1)*d), probs: [B,H,T,T].
 */
import type { GpuContext } from '../gpu/context';
import type { Tensor } from '../gpu/buffers';
import { reductionStrategy, type ReductionStrategy, type UniformValues } from './wgsl';
import { ATTENTION_PARAMS, type AttentionShape } from './attention-common';
import { CONTEXT, DKV, DQ, FLAT, HEAD_MASK_REDUCE, ROW, SCORES_BACKWARD, SOFTMAX, workgroupGrids } from './attention-workgroup';
import {
  DKV_SERIAL,
  HEAD_MASK_REDUCE_SERIAL,
  KEY_SUM_SERIAL,
  SCORES_BACKWARD_SERIAL,
  SERIAL,
  SOFTMAX_SERIAL,
  serialGrids,
} from './attention-serial';

type AttentionUniforms = UniformValues<typeof ATTENTION_PARAMS>;

export type { AttentionShape } from './attention-common';

export interface AttentionDropout {
  /** Probability of dropping an attention probability, in [0, 1). */
  p: number;
  /** Any u32; the same seed must be passed to the backward pass. */
  seed: number;
}

export interface AttentionForwardArgs extends AttentionShape {
  q: Tensor; // [B*T, H*d]
  k: Tensor; // [B*T, H*d]
  v: Tensor; // [B*T, H*d]
  /** [B*T]: 1 for a real token, 0 for padding (excluded as a key). */
  attnMask: Tensor;
  /** [H]: Light-PEFT head mask, multiplies each head's attention probabilities. */
  headMask: Tensor;
  /** [B,H,T,T] output: softmax before head mask and dropout (saved for backward). */
  probs: Tensor;
  /** [B*T, H*d] output. */
  out: Tensor;
  dropout?: AttentionDropout;
  /** Overrides the device's choice (tests exercise both on every machine). */
  strategy?: ReductionStrategy;
}

export interface AttentionBackwardArgs extends AttentionShape {
  dOut: Tensor; // [B*T, H*d]
  q: Tensor;
  k: Tensor;
  v: Tensor;
  /** Not read: padding keys already have probability 0, hence zero dS. Kept for symmetry. */
  attnMask: Tensor;
  headMask: Tensor; // [H]
  probs: Tensor; // [B,H,T,T] from the forward
  /** Overwritten, [B*T, H*d]. */
  dQ: Tensor;
  dK: Tensor;
  dV: Tensor;
  /** [H], accumulated (+=). */
  dHeadMask: Tensor;
  dropout?: AttentionDropout;
  /** Overrides the device's choice (tests exercise both on every machine). */
  strategy?: ReductionStrategy;
}

export function attentionForward(ctx: GpuContext, args: AttentionForwardArgs): void {
  checkShapes(args, { q: args.q, k: args.k, v: args.v, out: args.out }, args.probs, args.attnMask, args.headMask);
  const uniforms = attentionUniforms(args, args.dropout);
  const dropout = hasDropout(args.dropout);
  const softmax = { uniforms, buffers: { q: args.q, k: args.k, attnMask: args.attnMask, probs: args.probs } };
  if (reductionStrategy(ctx, args.strategy) === 'serial') {
    const { rowBlocks, rowColumnBlocks } = serialGrids(args);
    SOFTMAX_SERIAL.dispatch(ctx, SERIAL, { ...softmax, workgroups: rowBlocks });
    KEY_SUM_SERIAL.dispatch(ctx, { ...SERIAL, kind: 'context', dropout }, {
      uniforms,
      buffers: { weights: args.probs, values: args.v, headMask: args.headMask, out: args.out },
      workgroups: rowColumnBlocks,
    });
    return;
  }
  const { scoreRows, elements } = workgroupGrids(args);
  SOFTMAX.dispatch(ctx, ROW, { ...softmax, workgroups: scoreRows });
  CONTEXT.dispatch(ctx, { ...FLAT, dropout }, {
    uniforms,
    buffers: { probs: args.probs, v: args.v, headMask: args.headMask, out: args.out },
    workgroups: elements,
  });
}

export function attentionBackward(ctx: GpuContext, args: AttentionBackwardArgs): void {
  const { batch, seqLen, heads } = args;
  const grads = { dOut: args.dOut, q: args.q, k: args.k, v: args.v, dQ: args.dQ, dK: args.dK, dV: args.dV };
  checkShapes(args, grads, args.probs, args.attnMask, args.headMask);
  if (args.dHeadMask.size !== heads) throw new Error(`attentionBackward: dHeadMask has ${args.dHeadMask.size} values, expected ${heads}`);
  const uniforms = attentionUniforms(args, args.dropout);
  const dropout = hasDropout(args.dropout);
  const dScores = ctx.empty([batch, heads, seqLen, seqLen], 'f32', 'attention dScores');
  const rowHeadGrad = ctx.empty([batch, heads, seqLen], 'f32', 'attention dHeadMask partials');
  if (reductionStrategy(ctx, args.strategy) === 'serial') {
    attentionBackwardSerial(ctx, args, uniforms, dropout, dScores, rowHeadGrad);
  } else {
    attentionBackwardWorkgroup(ctx, args, uniforms, dropout, dScores, rowHeadGrad);
  }
  // Later work that reuses these buffers is recorded after, so it runs after these reads.
  dScores.dispose();
  rowHeadGrad.dispose();
}

/** The backward's buffers, by binding name, for both strategies. */
function backwardBuffers(args: AttentionBackwardArgs, dScores: Tensor, rowHeadGrad: Tensor) {
  return {
    scores: { dOut: args.dOut, v: args.v, probs: args.probs, headMask: args.headMask, dScores, rowHeadGrad },
    dkv: { dScores, q: args.q, probs: args.probs, dOut: args.dOut, headMask: args.headMask, dK: args.dK, dV: args.dV },
    headMask: { rowHeadGrad, dHeadMask: args.dHeadMask },
  };
}

function attentionBackwardWorkgroup(
  ctx: GpuContext,
  args: AttentionBackwardArgs,
  uniforms: AttentionUniforms,
  dropout: boolean,
  dScores: Tensor,
  rowHeadGrad: Tensor,
): void {
  const { scoreRows, elements, heads } = workgroupGrids(args);
  const buffers = backwardBuffers(args, dScores, rowHeadGrad);
  SCORES_BACKWARD.dispatch(ctx, { ...ROW, dropout }, { uniforms, buffers: buffers.scores, workgroups: scoreRows });
  DQ.dispatch(ctx, FLAT, { uniforms, buffers: { dScores, k: args.k, dQ: args.dQ }, workgroups: elements });
  DKV.dispatch(ctx, { ...FLAT, dropout }, { uniforms, buffers: buffers.dkv, workgroups: elements });
  HEAD_MASK_REDUCE.dispatch(ctx, ROW, { uniforms, buffers: buffers.headMask, workgroups: heads });
}

function attentionBackwardSerial(
  ctx: GpuContext,
  args: AttentionBackwardArgs,
  uniforms: AttentionUniforms,
  dropout: boolean,
  dScores: Tensor,
  rowHeadGrad: Tensor,
): void {
  const { rowBlocks, rowColumnBlocks, heads } = serialGrids(args);
  const buffers = backwardBuffers(args, dScores, rowHeadGrad);
  SCORES_BACKWARD_SERIAL.dispatch(ctx, { ...SERIAL, dropout }, { uniforms, buffers: buffers.scores, workgroups: rowBlocks });
  KEY_SUM_SERIAL.dispatch(ctx, { ...SERIAL, kind: 'dq', dropout: false }, {
    uniforms,
    buffers: { weights: dScores, values: args.k, out: args.dQ },
    workgroups: rowColumnBlocks,
  });
  DKV_SERIAL.dispatch(ctx, { ...SERIAL, dropout }, { uniforms, buffers: buffers.dkv, workgroups: rowColumnBlocks });
  HEAD_MASK_REDUCE_SERIAL.dispatch(ctx, SERIAL, { uniforms, buffers: buffers.headMask, workgroups: heads });
}

function hasDropout(dropout: AttentionDropout | undefined): dropout is AttentionDropout {
  return dropout !== undefined && dropout.p > 0;
}

function attentionUniforms(shape: AttentionShape, dropout: AttentionDropout | undefined): AttentionUniforms {
  const p = dropout?.p ?? 0;
  if (!(p >= 0 && p < 1)) throw new Error(`attention: dropout p must be in [0, 1), got ${p}`);
  return {
    batch: shape.batch,
    seqLen: shape.seqLen,
    heads: shape.heads,
    headDim: shape.headDim,
    seed: (dropout?.seed ?? 0) >>> 0,
    dropP: p,
    dropScale: 1 / (1 - p),
    invSqrtD: 1 / Math.sqrt(shape.headDim),
  };
}

function checkShapes(
  shape: AttentionShape,
  activations: Record<string, Tensor>,
  probs: Tensor,
  attnMask: Tensor,
  headMask: Tensor,
): void {
  const { batch, seqLen, heads, headDim } = shape;
  for (const [name, n] of Object.entries({ batch, seqLen, heads, headDim })) {
    if (!Number.isInteger(n) || n < 1) throw new Error(`attention: ${name} must be a positive integer, got ${n}`);
  }
  const expect = (name: string, t: Tensor, size: number) => {
    if (t.size !== size) throw new Error(`attention: ${name} has ${t.size} values, expected ${size} for [B=${batch}, T=${seqLen}, H=${heads}, d=${headDim}]`);
  };
  for (const [name, t] of Object.entries(activations)) expect(name, t, batch * seqLen * heads * headDim);
  expect('probs', probs, batch * heads * seqLen * seqLen);
  expect('attnMask', attnMask, batch * seqLen);
  expect('headMask', headMask, heads);
}
