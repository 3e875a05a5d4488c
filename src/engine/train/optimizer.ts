/** AdamW over the model's trainable tensors, with per-group learning-rate multipliers and weight decay. */
import type { GpuContext } from '../gpu/context';
import type { Tensor } from '../gpu/buffers';
import type { ParamGroupName, TrainableParam } from '../model/params';
import { adamwStep } from '../../kernels/adamw';

export interface OptimizerConfig {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** Per group: lr multiplier and weight decay (masks: no decay, their own multiplier). */
  groups: Record<ParamGroupName, { lrMultiplier: number; weightDecay: number }>;
}

export class AdamW {
  private state = new Map<Tensor, { m: Tensor; v: Tensor }>();
  step = 0;

  constructor(
    private readonly ctx: GpuContext,
    readonly config: OptimizerConfig,
  ) {}

  /** One update of every parameter from its gradient; `lr` overrides the base rate (schedules). */
  update(params: TrainableParam[], lr = this.config.lr): void {
    this.step++;
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
      });
    }
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
  }
}
