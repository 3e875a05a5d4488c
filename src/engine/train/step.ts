/** One forward + loss + backward on a batch: the unit the trainer, the `grad` command and the tests share. */
import type { Tensor } from '../../gpu/buffers';
import type { DeviceBatch } from '../model/batch';
import type { ForwardResult, LossWeights, RobertaModel } from '../model/roberta';

export interface StepOptions extends LossWeights {
  /** Training-mode dropout seed; undefined = evaluation mode (no dropout). */
  dropoutSeed?: number;
  /** Accumulate Light-PEFT scores this step: 0 overwrites, 1 adds, undefined skips. */
  scoreBeta?: 0 | 1;
}

export interface StepResult {
  forward: ForwardResult;
  taskLoss: Tensor;
  totalLoss: Tensor;
  /** Frees the step's activations and loss tensors (the gradients stay in the model). */
  release(): void;
}

export function gradientStep(model: RobertaModel, batch: DeviceBatch, options: StepOptions): StepResult {
  model.zeroGrads();
  const forward = model.forward(batch, { dropoutSeed: options.dropoutSeed, importanceBeta: options.scoreBeta, forBackward: true });
  const { taskLoss, totalLoss, dLogits } = model.loss(forward, options);
  model.backward(forward, dLogits);
  dLogits.dispose();
  if (options.scoreBeta !== undefined) model.rankScores(options.scoreBeta);
  return {
    forward,
    taskLoss,
    totalLoss,
    release() {
      model.release(forward);
      taskLoss.dispose();
      totalLoss.dispose();
    },
  };
}
