/**
 * AdamW over the model's trainable tensors, with per-group learning-rate multipliers and weight
 * decay, optional clipping of the global gradient norm (torch's clip_grad_norm_ over every
 * trainable tensor) and, when the step's loss is given, the step guard: a step whose loss or
 * gradient norm is not finite, and every step after it until `resetGuard`, updates nothing.
 * All on the GPU: nothing is read back.
 */
import type { GpuContext } from '../../gpu/context';
import type { Tensor } from '../../gpu/buffers';
import type { ParamGroupName, TrainableParam } from '../model/params';
import { adamwStep } from '../../kernels/adamw';
import { GUARD, squaredSum, stepGuard } from '../../kernels/grad-norm';

export interface OptimizerConfig {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** Per group: lr multiplier and weight decay (masks: no decay, their own multiplier). */
  groups: Record<ParamGroupName, { lrMultiplier: number; weightDecay: number }>;
  /** Clip the global gradient norm to this (torch's max_norm); undefined or 0: no clipping. */
  maxGradNorm?: number;
}

/**
 * AdamW as the runs use it (torch's defaults: β 0.9/0.999, ε 1e-8): PEFT weights and the head with
 * the run's weight decay, Light-PEFT's masks with none, at their own learning-rate multiplier.
 */
export function defaultOptimizer(settings: { lr: number; weightDecay: number; maskLrMultiplier: number; maxGradNorm?: number }): OptimizerConfig {
  return {
    lr: settings.lr,
    maxGradNorm: settings.maxGradNorm,
    beta1: 0.9,
    beta2: 0.999,
    eps: 1e-8,
    groups: {
      peft: { lrMultiplier: 1, weightDecay: settings.weightDecay },
      head: { lrMultiplier: 1, weightDecay: settings.weightDecay },
      mask: { lrMultiplier: settings.maskLrMultiplier, weightDecay: 0 },
    },
  };
}

export class AdamW {
  private state = new Map<Tensor, { m: Tensor; v: Tensor }>();
  /** Per-tensor squared sums and the guard (grad-norm.ts GUARD) of the last update. */
  private clip: { partials: Tensor; out: Tensor; noLoss: Tensor } | null = null;
  step = 0;

  constructor(
    private readonly ctx: GpuContext,
    readonly config: OptimizerConfig,
  ) {}

  /**
   * One update of every parameter from its gradient; `lr` overrides the base rate (schedules).
   * `guard`: the step's loss and number (from 1), checked with the gradients before anything changes.
   */
  update(params: TrainableParam[], lr = this.config.lr, guard?: { loss: Tensor; step: number }): void {
    this.step++;
    const gradScale = this.guardStep(params, guard);
    for (const p of params) {
      const s = this.moments(p);
      const group = this.config.groups[p.group];
      adamwStep(this.ctx, {
        param: p.tensor,
        grad: p.grad,
        m: s.m,
        v: s.v,
        n: p.tensor.size,
        lr: lr * group.lrMultiplier,
        beta1: this.config.beta1,
        beta2: this.config.beta2,
        eps: this.config.eps,
        weightDecay: group.weightDecay,
        step: this.step,
        guard: gradScale,
      });
    }
  }

  /** [GUARD.size] on the GPU: the guard of the last update (grad-norm.ts GUARD); null before a guarded or clipped one. */
  get guardState(): Tensor | null {
    return this.clip?.out ?? null;
  }

  /** Clears the guard's record of a non-finite step, so updates apply again (after a rollback). */
  resetGuard(): void {
    if (this.clip) this.ctx.zero(this.clip.out);
  }

  private guardStep(params: TrainableParam[], guard?: { loss: Tensor; step: number }): Tensor | undefined {
    const maxNorm = this.config.maxGradNorm ?? 0;
    if (!maxNorm && !guard) return undefined;
    if (this.clip && this.clip.partials.size !== params.length) throw new Error(`AdamW: ${params.length} parameters after ${this.clip.partials.size}; use a new optimizer for a new parameter set`);
    const clip = (this.clip ??= { partials: this.ctx.empty([params.length]), out: this.ctx.zeros([GUARD.size]), noLoss: this.ctx.zeros([1]) });
    params.forEach((p, index) => squaredSum(this.ctx, { x: p.grad, n: p.tensor.size, partials: clip.partials, index }));
    stepGuard(this.ctx, { partials: clip.partials, count: params.length, maxNorm, loss: guard?.loss ?? clip.noLoss, step: guard?.step ?? this.step, guard: clip.out });
    return clip.out;
  }

  /** The moments of one parameter (created on first use), for checkpoints. */
  moments(param: TrainableParam): { m: Tensor; v: Tensor } {
    let s = this.state.get(param.tensor);
    if (!s) {
      s = { m: this.ctx.zeros([param.tensor.size]), v: this.ctx.zeros([param.tensor.size]) };
      this.state.set(param.tensor, s);
    }
    return s;
  }

  dispose(): void {
    for (const { m, v } of this.state.values()) {
      m.dispose();
      v.dispose();
    }
    this.state.clear();
    this.clip?.partials.dispose();
    this.clip?.out.dispose();
    this.clip?.noLoss.dispose();
    this.clip = null;
  }
}
