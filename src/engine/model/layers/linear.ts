/**
 * LoRA linear: y = x·Wᵀ + b + s·(drop(x)·Aᵀ)·Bᵀ, with W, b frozen and A [r,in], B [out,r] trained;
 * drop is the LoRA path's own dropout (training mode only), as in HF PEFT.
 * Built from matmul calls; the low-rank path is fused into y by the matmul epilogue (beta = 1),
 * or written to `delta` first when the caller needs it (Light-PEFT's Importance Ratio).
 */
import type { GpuContext } from '../../../gpu/context';
import type { Tensor } from '../../../gpu/buffers';
import { matmul } from '../../../kernels/matmul';
import { addInPlace, dropoutBackward, dropoutForward } from '../../../kernels/elementwise';
import { importanceRatio } from '../../../kernels/scores';
import type { Activation } from '../../../kernels/wgsl-math';

export interface LinearShape {
  rows: number; // tokens, N
  inFeatures: number;
  outFeatures: number;
}

export interface LoraFactors {
  A: Tensor; // [r, in]
  B: Tensor; // [out, r]
  rank: number;
  scale: number; // alpha / r
  /**
   * Dropout on the LoRA path's input, with its seed; `dropped` [N,in] is scratch that holds
   * drop(x) (the backward rebuilds it from the seed rather than keeping it).
   */
  dropout?: { p: number; seed: number; dropped: Tensor };
}

/**
 * Importance Ratio request: out = beta·out + mean over tokens with tokenMask = 1 of
 * ‖s·B·A·drop(x)‖₂ / ‖W·x + b‖₂. Needs a `delta` [N,out] scratch to hold the LoRA path apart.
 */
export interface ImportanceRequest {
  tokenMask: Tensor; // [N]
  out: Tensor; // [1]
  beta: number;
  delta: Tensor; // [N, out] scratch
}

/**
 * y = x·Wᵀ + b (+ LoRA). `u` [N,r] receives drop(x)·Aᵀ (saved for backward). `activation` is
 * applied to y in the matmul's epilogue; only without LoRA, whose product is added after it.
 */
export function linearForward(
  ctx: GpuContext,
  args: LinearShape & {
    x: Tensor;
    weight: Tensor;
    bias: Tensor;
    out: Tensor;
    lora?: LoraFactors & { u: Tensor };
    importance?: ImportanceRequest;
    activation?: Activation;
  },
): void {
  const { rows, inFeatures, outFeatures, x, lora, importance, activation } = args;
  if (lora && activation) throw new Error('linearForward: an activation goes in the epilogue only without LoRA');
  matmul(ctx, { a: x, b: args.weight, out: args.out, M: rows, N: outFeatures, K: inFeatures, transB: true, bias: args.bias, activation });
  if (!lora) return;
  const loraInput = dropLoraInput(ctx, x, rows * inFeatures, lora.dropout);
  matmul(ctx, { a: loraInput, b: lora.A, out: lora.u, M: rows, N: lora.rank, K: inFeatures, transB: true });
  if (importance) {
    const { delta } = importance;
    matmul(ctx, { a: lora.u, b: lora.B, out: delta, M: rows, N: outFeatures, K: lora.rank, transB: true, alpha: lora.scale });
    importanceRatio(ctx, { delta, base: args.out, tokenMask: importance.tokenMask, tokens: rows, features: outFeatures, out: importance.out, beta: importance.beta });
    addInPlace(ctx, { target: args.out, x: delta, n: rows * outFeatures });
  } else {
    matmul(ctx, { a: lora.u, b: lora.B, out: args.out, M: rows, N: outFeatures, K: lora.rank, transB: true, alpha: lora.scale, beta: 1 });
  }
}

/**
 * Gradients of the LoRA linear: dA, dB accumulate (+=); dx is written, or accumulated when
 * `accumulateDx` (several layers read the same x). `du` [N,r] is scratch. dx is skipped when absent.
 * With LoRA dropout, dA uses drop(x) and the LoRA path's share of dx goes back through the mask.
 */
export function linearBackward(
  ctx: GpuContext,
  args: LinearShape & {
    dy: Tensor;
    x: Tensor;
    weight: Tensor;
    dx?: Tensor;
    accumulateDx?: boolean;
    lora?: LoraFactors & { u: Tensor; du: Tensor; dA: Tensor; dB: Tensor };
  },
): void {
  const { rows, inFeatures, outFeatures, dy, x, lora, dx } = args;
  if (lora) {
    const { rank, scale } = lora;
    // dB += s·dyᵀ·u   [out,r]
    matmul(ctx, { a: dy, b: lora.u, out: lora.dB, M: outFeatures, N: rank, K: rows, transA: true, alpha: scale, beta: 1 });
    // du = s·dy·B     [N,r]
    matmul(ctx, { a: dy, b: lora.B, out: lora.du, M: rows, N: rank, K: outFeatures, alpha: scale });
    // dA += duᵀ·drop(x)     [r,in]
    const loraInput = dropLoraInput(ctx, x, rows * inFeatures, lora.dropout);
    matmul(ctx, { a: lora.du, b: loraInput, out: lora.dA, M: rank, N: inFeatures, K: rows, transA: true, beta: 1 });
  }
  if (!dx) return;
  matmul(ctx, { a: dy, b: args.weight, out: dx, M: rows, N: inFeatures, K: outFeatures, beta: args.accumulateDx ? 1 : 0 });
  if (!lora) return;
  const drop = lora.dropout;
  if (!drop) {
    matmul(ctx, { a: lora.du, b: lora.A, out: dx, M: rows, N: inFeatures, K: lora.rank, beta: 1 });
    return;
  }
  // dx += drop'(du·A), with du·A in the scratch that held drop(x) (dA above has read it by now).
  matmul(ctx, { a: lora.du, b: lora.A, out: drop.dropped, M: rows, N: inFeatures, K: lora.rank });
  dropoutBackward(ctx, { dy: drop.dropped, dx, n: rows * inFeatures, p: drop.p, seed: drop.seed, accumulate: true });
}

/** drop(x) in the dropout's scratch, or x itself without LoRA dropout. */
function dropLoraInput(ctx: GpuContext, x: Tensor, n: number, dropout: LoraFactors['dropout']): Tensor {
  if (!dropout) return x;
  dropoutForward(ctx, { x, out: dropout.dropped, n, p: dropout.p, seed: dropout.seed });
  return dropout.dropped;
}
