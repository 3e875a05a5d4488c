/**
 * A classification task from a model and dataset tables: columns (guessed unless chosen), label
 * ids, train/validation examples. A checkpoint with a classification head fixes the labels (the
 * data must use them); without one, the data's labels define a fresh head.
 */
import type { ModelConfig } from '../model/config';
import { buildExamples, guessColumns, splitTrainValidation, type BuiltExamples, type ColumnChoice, type Example, type RawTable } from '../io/datasets';

export interface TaskInput {
  config: ModelConfig;
  /** Whether the checkpoint brings a trained classification head. */
  hasHead: boolean;
  train: RawTable;
  validation?: RawTable;
  columns?: Partial<ColumnChoice>;
  /** Used when there is no validation table. */
  validationFraction: number;
  seed: number;
}

export interface Task {
  /** The model config with the task's labels. */
  config: ModelConfig;
  columns: ColumnChoice;
  train: Example[];
  validation: Example[];
  /** Rows skipped or clipped, in words. */
  warnings: string[];
}

export function prepareTask(input: TaskInput): Task {
  const guess = guessColumns(input.train);
  const columns: ColumnChoice = {
    text: input.columns?.text ?? guess.text,
    textPair: input.columns?.textPair !== undefined ? input.columns.textPair : guess.textPair,
    label: input.columns?.label ?? guess.label,
  };
  const trainBuilt = buildExamples(input.train, columns, input.hasHead ? { labelNames: input.config.id2label } : {});
  const id2label = input.hasHead ? input.config.id2label : trainBuilt.id2label;
  const config = { ...input.config, id2label, numLabels: id2label.length };
  const warnings = describeWarnings(input.train.file, trainBuilt);
  let train = trainBuilt.examples;
  let validation: Example[];
  if (input.validation) {
    const built = buildExamples(input.validation, columns, { labelNames: id2label });
    warnings.push(...describeWarnings(input.validation.file, built));
    validation = built.examples;
  } else {
    ({ train, validation } = splitTrainValidation(train, { validationFraction: input.validationFraction, seed: input.seed, file: input.train.file }));
  }
  return { config, columns, train, validation, warnings };
}

function describeWarnings(file: string, built: BuiltExamples): string[] {
  const warnings: string[] = [];
  if (built.skipped.length) warnings.push(`${file}: skipped ${built.skipped.length} rows (first: line ${built.skipped[0].line}, ${built.skipped[0].why})`);
  if (built.clipped.length) warnings.push(`${file}: clipped ${built.clipped.length} very long texts (first: line ${built.clipped[0].line}, ${built.clipped[0].chars} characters)`);
  return warnings;
}
