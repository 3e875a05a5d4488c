/** Validation metrics of a model as it is now, in evaluation mode (no dropout). */
import type { Example } from '../io/datasets';
import type { TextTokenizer } from '../io/tokenizer';
import type { RobertaModel } from '../model/roberta';
import { uploadBatch } from '../model/batch';
import { tokenizeBatch } from './batches';
import { argmaxRows, classificationMetrics, crossEntropySum, type ClassificationMetrics } from './metrics';

/** Predictions and metrics batch by batch; `loss` is the mean cross-entropy. */
export async function evaluate(
  model: RobertaModel,
  tokenizer: TextTokenizer,
  examples: Example[],
  options: { batchSize: number; maxLength: number },
): Promise<ClassificationMetrics & { loss: number; predictions: number[] }> {
  const predictions: number[] = [];
  const classes = model.config.numLabels;
  let lossSum = 0;
  for (let start = 0; start < examples.length; start += options.batchSize) {
    const slice = examples.slice(start, start + options.batchSize);
    const batch = uploadBatch(model.ctx, tokenizeBatch(tokenizer, slice, options.maxLength));
    const result = model.forward(batch, { forBackward: false });
    const logits = await model.ctx.read(result.logits);
    predictions.push(...argmaxRows(logits, slice.length, classes));
    lossSum += crossEntropySum(logits, slice.map((e) => e.label), classes);
    model.release(result);
    batch.dispose();
  }
  const loss = examples.length ? lossSum / examples.length : 0;
  return { ...classificationMetrics(predictions, examples.map((e) => e.label), classes), loss, predictions };
}
