/**
 * Which labels a classification head trains on. A checkpoint with a trained head fixes them: the
 * data's label ids are mapped onto the head's (a label the head does not know is an error); a
 * model without one gets a fresh head with the data's labels.
 */
import type { Example } from '../io/datasets';
import { BadInputError } from '../../errors';

export interface LabelMapping {
  /** The head's labels, by id. */
  id2label: string[];
  /** data label id → head label id; null when they are the data's own. */
  remap: number[] | null;
}

/**
 * @param dataLabels the data's labels by id
 * @param headLabels the checkpoint head's labels, or null when the checkpoint has no head
 * @param source the data file and label column, for the message
 */
export function labelsFor(dataLabels: readonly string[], headLabels: readonly string[] | null, source: { file: string; labelColumn: string }): LabelMapping {
  if (!headLabels) return { id2label: [...dataLabels], remap: null };
  const remap = dataLabels.map((label) => headLabels.indexOf(label));
  const missing = dataLabels.find((_, i) => remap[i] < 0);
  if (missing !== undefined) {
    throw new BadInputError(
      source.file,
      `label column "${source.labelColumn}"`,
      `has the label "${missing}", which the model's classification head does not know (it has ${headLabels.join(', ')}); use data with those labels or a model without a head`,
    );
  }
  return { id2label: [...headLabels], remap };
}

/** Examples with their labels mapped onto the head's ids. */
export function relabel(examples: Example[], remap: number[] | null): Example[] {
  return remap ? examples.map((e) => ({ ...e, label: remap[e.label] })) : examples;
}

/** Whether a checkpoint's weights include a trained classification head. */
export function hasTrainedHead(weights: { has(name: string): boolean }): boolean {
  return weights.has('classifier.out_proj.weight');
}
