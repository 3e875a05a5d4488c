/**
 * The classification head (RobertaClassificationHead), forward and backward: the <s> token's
 * hidden state → dropout → dense → tanh → dropout → out_proj, over the classifier kernels.
 */
import type { Tensor } from '../../../gpu/buffers';
import { classifierBackward, classifierForward, type ClassifierSaved } from './classifier';
import type { Classifier } from '../params';
import type { BackwardPass, ForwardPass } from './step-pass';

export interface ClassifierHeadSaved {
  kernel: ClassifierSaved;
  /** Dropout probability and the seeds of its two sites this step. */
  dropout: { p: number; seeds: [number, number] };
}

export function classifierHeadForward(pass: ForwardPass, classifier: Classifier, x: Tensor): { logits: Tensor; saved: ClassifierHeadSaved } {
  const { batch, config } = pass;
  const B = batch.batch;
  const H = config.hidden;
  const logits = pass.alloc([B, config.numLabels]);
  const hidden = pass.alloc([B, H]);
  const dropout = { p: pass.dropout.hidden, seeds: [0, 0] as [number, number] };
  const kernel: ClassifierSaved = { cls: pass.alloc([B, H]), hidden, hiddenDropped: dropout.p > 0 ? pass.alloc([B, H]) : hidden };
  const scratch = pass.alloc([B, H]);
  dropout.seeds = [pass.dropout.next(), pass.dropout.next()];
  classifierForward(pass.ctx, { batch: B, seqLen: batch.seqLen, hidden: H, classes: config.numLabels, dropout, w: classifier.w, x, logits, saved: kernel, scratch });
  return { logits, saved: { kernel, dropout } };
}

/** Adds the <s> rows' gradient into dX [N, H] (other rows untouched) and accumulates the head's gradients. */
export function classifierHeadBackward(pass: BackwardPass, classifier: Classifier, saved: ClassifierHeadSaved, dLogits: Tensor, dX: Tensor): void {
  const { batch, config } = pass;
  const B = batch.batch;
  const H = config.hidden;
  classifierBackward(pass.ctx, {
    batch: B,
    seqLen: batch.seqLen,
    hidden: H,
    classes: config.numLabels,
    dropout: saved.dropout,
    w: classifier.w,
    grads: classifier.grads,
    saved: saved.kernel,
    dLogits,
    dX,
    ones: batch.ones,
    scratchA: pass.temp([B, H]),
    scratchB: pass.temp([B, H]),
  });
}
