/**
 * classify: the "Try it" box. One evaluation-mode forward of the loaded model (trained, maybe
 * pruned) on a typed text, tokenized as training tokenized: the last run's max length, else the
 * longest input the model takes. The worker runs it through classifyWhenFree, so it never
 * overlaps a training step or a model swap.
 */
import { uploadBatch } from '../../engine/model/batch';
import { tokenizeBatch } from '../../engine/train/batches';
import { runSettingsOf } from '../../engine/train/run-record';
import { NotReadyError, SettingError } from '../../errors';
import type { ClassProbability } from '../protocol';
import type { Session } from '../session';

/**
 * classify, never during a step or a model swap: while a run trains, between two of its steps (at
 * once when it is paused), with the weights as they are; otherwise as a model job.
 */
export function classifyWhenFree(session: Session, text: string, textPair?: string): Promise<ClassProbability[]> {
  const work = () => classify(session, text, textPair);
  return session.training ? session.training.control.enqueue(work) : session.withModel(work);
}

export async function classify(session: Session, text: string, textPair?: string): Promise<ClassProbability[]> {
  const loaded = session.model;
  if (!loaded) throw new NotReadyError('Load a model first (1 Model), and train it: the text is classified with the loaded model.');
  const tokenizer = loaded.tokenizer;
  if (!tokenizer) throw new NotReadyError(loaded.summary.tokenizerProblem ?? 'The loaded model has no tokenizer: add its tokenizer files and load it again.');
  if (typeof text !== 'string' || text.trim() === '') throw new SettingError('Type a text to classify: it is empty.');
  const pair = textPair?.trim() ? textPair : undefined;
  const { model } = loaded;
  const batch = uploadBatch(model.ctx, tokenizeBatch(tokenizer, [{ text, textPair: pair, label: 0 }], maxLengthOf(session)));
  try {
    const result = model.forward(batch, { forBackward: false });
    const logits = await model.ctx.read(result.logits);
    model.release(result);
    const labels = model.config.id2label;
    return softmax(Array.from(logits.subarray(0, labels.length))).map((probability, i) => ({ label: labels[i], probability }));
  } finally {
    batch.dispose();
  }
}

/** The last run's max length (the model learned at that length), else the longest input the model (and its tokenizer) takes. */
function maxLengthOf(session: Session): number {
  const trained = session.lastRun && runSettingsOf(session.lastRun)?.engine.maxLength;
  if (trained) return trained;
  const { summary, tokenizer } = session.model!;
  return Math.min(summary.maxTokens, tokenizer?.modelMaxLength ?? Infinity);
}

/** Probabilities from logits, shifted by the largest so exp never overflows. */
export function softmax(logits: number[]): number[] {
  const max = Math.max(...logits);
  const exps = logits.map((z) => Math.exp(z - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}
