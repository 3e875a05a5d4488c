/**
 * One AdamW step on one tensor, with torch.optim.AdamW (single-tensor) semantics:
 *   p -= lr·weightDecay·p;  m = β1·m + (1-β1)·g;  v = β2·v + (1-β2)·g²;
 *   p -= (lr / (1-β1^step)) · m / (sqrt(v) / sqrt(1-β2^step) + eps)
 * The bias corrections are computed on the CPU in float64 and passed as uniforms.
 */
import type { GpuContext } from '../gpu/context';
import type { Tensor } from '../gpu/buffers';
import { flatIndexMain, grid1d } from './wgsl';
import { defineKernel, readOnly, readWrite } from './kernel';
import { GUARD } from './grad-norm';

const WORKGROUP = 256;

const PARAMS = {
  n: 'u32',
  decayFactor: 'f32', // 1 - lr·weightDecay
  beta1: 'f32',
  oneMinusBeta1: 'f32',
  beta2: 'f32',
  oneMinusBeta2: 'f32',
  stepSize: 'f32', // lr / (1 - β1^step)
  biasCorrection2Sqrt: 'f32', // sqrt(1 - β2^step)
  eps: 'f32',
} as const;

export interface AdamWHyper {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** Counts from 1. */
  step: number;
}

/** A set of parameters sharing optimizer settings (the trainer calls adamwStep per tensor with them). */
export interface ParamGroup {
  name: string;
  /** Multiplies the schedule's learning rate. */
  lrMultiplier: number;
  weightDecay: number;
}

export interface AdamWArgs extends AdamWHyper {
  /** [n] updated in place. */
  param: Tensor;
  /** [n] read only. */
  grad: Tensor;
  /** [n] first moment, updated in place; the caller zeroes it before step 1. */
  m: Tensor;
  /** [n] second moment, updated in place; the caller zeroes it before step 1. */
  v: Tensor;
  n: number;
  /**
   * [GUARD.size] optional, from stepGuard (grad-norm.ts): every gradient is multiplied by its scale
   * as it is read (clipping), and nothing is written while its skip flag is set.
   */
  guard?: Tensor;
}

/** The uniforms' derived scalars, in float64 (shared with the CPU reference). */
export function adamwScalars(h: AdamWHyper): {
  decayFactor: number;
  stepSize: number;
  biasCorrection2Sqrt: number;
} {
  if (!(h.step >= 1) || !Number.isInteger(h.step)) throw new Error(`adamwStep: step must be an integer ≥ 1, got ${h.step}`);
  const biasCorrection1 = 1 - h.beta1 ** h.step;
  const biasCorrection2 = 1 - h.beta2 ** h.step;
  return {
    decayFactor: 1 - h.lr * h.weightDecay,
    stepSize: h.lr / biasCorrection1,
    biasCorrection2Sqrt: Math.sqrt(biasCorrection2),
  };
}

/** `guarded`: gradients are scaled by the guard's scale, and its skip flag leaves the tensor unchanged. */
type AdamWConstants = { threads: number; guarded: boolean };

const ADAMW = defineKernel({
  name: 'adamw',
  layout: ({ guarded }: AdamWConstants) => ({
    uniforms: PARAMS,
    storage: [readWrite('param'), readOnly('grad'), readWrite('m'), readWrite('v'), ...(guarded ? [readOnly('guard')] : [])],
  }),
  body: adamwWgsl,
});

export function adamwStep(ctx: GpuContext, args: AdamWArgs): void {
  const { n } = args;
  if (n === 0) return;
  const scalars = adamwScalars(args);
  const buffers: Record<string, Tensor> = { param: args.param, grad: args.grad, m: args.m, v: args.v };
  if (args.guard) {
    if (args.guard.size < GUARD.size) throw new Error(`adamwStep: the guard needs ${GUARD.size} elements, got ${args.guard.size}`);
    buffers.guard = args.guard;
  }
  ADAMW.dispatch(ctx, { threads: WORKGROUP, guarded: args.guard !== undefined }, {
    uniforms: {
      n,
      decayFactor: scalars.decayFactor,
      beta1: args.beta1,
      oneMinusBeta1: 1 - args.beta1,
      beta2: args.beta2,
      oneMinusBeta2: 1 - args.beta2,
      stepSize: scalars.stepSize,
      biasCorrection2Sqrt: scalars.biasCorrection2Sqrt,
      eps: args.eps,
    },
    buffers,
    workgroups: grid1d(n, WORKGROUP),
  });
}

function adamwWgsl({ threads, guarded }: AdamWConstants): string {
  return /* wgsl */ `
${flatIndexMain(threads)}
  if (i >= p.n${guarded ? ` || guard[${GUARD.skip}] != 0.0` : ''}) { return; }
  let g = grad[i]${guarded ? ` * guard[${GUARD.scale}]` : ''};
  let mi = p.beta1 * m[i] + p.oneMinusBeta1 * g;
  let vi = p.beta2 * v[i] + p.oneMinusBeta2 * g * g;
  m[i] = mi;
  v[i] = vi;
  let denom = sqrt(vi) / p.biasCorrection2Sqrt + p.eps;
  param[i] = param[i] * p.decayFactor - p.stepSize * mi / denom;
}
`;
}
