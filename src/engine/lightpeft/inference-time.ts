/** How long one evaluation-mode forward pass takes (Light-PEFT reports it before and after pruning). */
import type { Example } from '../io/datasets';
import type { TextTokenizer } from '../io/tokenizer';
import type { RobertaModel } from '../model/roberta';
import { uploadBatch } from '../model/batch';
import { tokenizeBatch } from '../train/batches';

/** Median of three timed evaluation-mode forwards of one batch (after one warm-up). */
export async function timeInference(model: RobertaModel, tokenizer: TextTokenizer, examples: Example[], maxLength: number): Promise<number> {
  if (examples.length === 0) return 0;
  const batch = uploadBatch(model.ctx, tokenizeBatch(tokenizer, examples, maxLength));
  const times: number[] = [];
  for (let i = 0; i < 4; i++) {
    const start = performance.now();
    const result = model.forward(batch, { forBackward: false });
    await model.ctx.read(result.logits);
    model.release(result);
    if (i > 0) times.push((performance.now() - start) / 1000);
  }
  batch.dispose();
  return times.sort((a, b) => a - b)[1];
}
