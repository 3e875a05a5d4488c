/** What every layer's forward and backward share within one step: the GPU, the batch, dropout and tensor allocation. */
import type { GpuContext } from '../../../gpu/context';
import type { Tensor } from '../../../gpu/buffers';
import type { ModelConfig } from '../config';
import type { DeviceBatch } from '../batch';
import type { StepDropout } from './dropout-layer';

/** Allocates a tensor that the pass owns and frees when it is done with it. */
export type Alloc = (shape: number[]) => Tensor;

interface Pass {
  ctx: GpuContext;
  config: ModelConfig;
  batch: DeviceBatch;
  /** Tokens in the batch, N = batch · seqLen: the rows of every activation. */
  rows: number;
}

export interface ForwardPass extends Pass {
  /** Activations: kept for the backward, or freed block by block in evaluation. */
  alloc: Alloc;
  /** A backward pass follows (training): keep what it reads. False in evaluation and inference. */
  forBackward: boolean;
  dropout: StepDropout;
  /** Importance Ratios of PEFT modules: 0 writes this batch's value, 1 adds it to the running sum; undefined skips them. */
  importanceBeta?: 0 | 1;
}

export interface BackwardPass extends Pass {
  /** Scratch, freed when the layer's backward is done. */
  temp: Alloc;
}
