/**
 * tokenizeCheck: the first training batch through the loaded model's tokenizer, so a person sees
 * how long their texts are in tokens and how many the chosen max length cuts, before training.
 */
import type { Example } from '../../engine/io/datasets';
import { checkTokenizerFitsModel, type TextTokenizer } from '../../engine/io/tokenizer';
import { NotReadyError, SettingError } from '../../errors';
import type { TokenizeCheckResult } from '../protocol';
import type { Session } from '../session';

/** The rows looked at: one batch of the usual size. */
export const CHECK_ROWS = 32;
const SAMPLES = 3;
const SAMPLE_PIECES = 24;
const SAMPLE_CHARS = 160;

export function tokenizeCheck(session: Session, maxLength: number): TokenizeCheckResult {
  const loaded = session.model;
  if (!loaded) throw new NotReadyError('Load a model first: the tokenize check uses its tokenizer.');
  if (!loaded.tokenizer) throw new NotReadyError(loaded.summary.tokenizerProblem ?? 'The loaded model has no tokenizer.');
  const { config } = loaded.model;
  checkTokenizerFitsModel(loaded.tokenizer, config, loaded.configFile);
  const examples = session.data?.examples;
  if (!examples) throw new NotReadyError('Load a dataset and choose its columns first.');
  return checkBatch(loaded.tokenizer, examples.train.slice(0, CHECK_ROWS), maxLength, { maxTokens: loaded.summary.maxTokens, vocabSize: config.vocabSize });
}

/** The check itself, on any tokenizer and examples (tested without a GPU). */
export function checkBatch(tokenizer: TextTokenizer, batch: readonly Example[], maxLength: number, model: { maxTokens: number; vocabSize: number }): TokenizeCheckResult {
  const pairs = batch.some((e) => e.textPair !== undefined);
  const shortest = pairs ? 6 : 3;
  if (!Number.isInteger(maxLength) || maxLength < shortest || maxLength > model.maxTokens) {
    throw new SettingError(
      `Max length must be a whole number from ${shortest} to ${model.maxTokens} (the longest input this model's position table allows${pairs ? '; a text pair needs 4 special tokens' : ''}), got ${maxLength}.`,
    );
  }
  if (batch.length === 0) throw new NotReadyError('The training set is empty: there is nothing to tokenize.');
  const specials = pairs ? 4 : 2;
  const encoded = batch.map((e) => ({ text: tokenizer.encodeText(e.text), pair: e.textPair === undefined ? [] : tokenizer.encodeText(e.textPair) }));
  const lengths = encoded.map((e) => e.text.length + e.pair.length + specials);
  const padded = tokenizer.encodeBatch(
    batch.map((e) => e.text),
    pairs ? batch.map((e) => e.textPair ?? '') : null,
    maxLength,
  );
  const sorted = [...lengths].sort((a, b) => a - b);
  return {
    maxLength,
    rows: batch.length,
    paddedLength: padded.inputIds[0]?.length ?? 0,
    tokens: {
      min: sorted[0],
      median: sorted[Math.floor((sorted.length - 1) / 2)],
      max: sorted[sorted.length - 1],
      mean: lengths.reduce((a, b) => a + b, 0) / lengths.length,
    },
    truncated: lengths.filter((n) => n > maxLength).length,
    samples: batch.slice(0, SAMPLES).map((e, i) => ({
      text: e.text.length > SAMPLE_CHARS ? `${e.text.slice(0, SAMPLE_CHARS)}…` : e.text,
      tokens: lengths[i],
      pieces: encoded[i].text.slice(0, SAMPLE_PIECES).map((id) => tokenizer.decode([id])),
    })),
    tokenizerVocab: tokenizer.vocabSize,
    modelVocab: model.vocabSize,
  };
}
