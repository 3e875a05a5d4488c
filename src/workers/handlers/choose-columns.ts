/**
 * chooseColumns: examples from the chosen columns, label ids, and the validation set (the
 * validation file with the training labels, or a seeded, stratified split of the training file).
 */
import { buildExamples, labelBalance, splitTrainValidation, type BuiltExamples, type RawTable } from '../../engine/io/datasets';
import { NotReadyError, SettingError } from '../../errors';
import type { ColumnSettings, DataExamples } from '../protocol';
import type { Session } from '../session';
import { refuseWhileTraining } from './busy';

const FIRST_WARNINGS = 5;

export function chooseColumns(session: Session, settings: ColumnSettings): DataExamples {
  refuseWhileTraining(session, 'change the columns');
  const data = session.data;
  if (!data) throw new NotReadyError('Load a dataset first: the built-in demo data or your own file.');
  const fraction = settings.validationFraction;
  if (!data.validation && !(fraction > 0 && fraction < 1)) {
    throw new SettingError(`The validation share must be between 0 and 1 (e.g. 0.1 for 10%), got ${fraction}.`);
  }
  if (!Number.isInteger(settings.seed)) throw new SettingError(`The split seed must be a whole number, got ${settings.seed}.`);

  const columns = { ...settings.columns, textPair: settings.columns.textPair || null };
  const train = buildExamples(data.train, columns);
  let validation: BuiltExamples | null = null;
  let trainExamples = train.examples;
  let validationExamples;
  if (data.validation) {
    // The validation labels must be the training labels, with the same ids.
    validation = buildExamples(data.validation, columns, { labelNames: train.id2label });
    validationExamples = validation.examples;
  } else {
    const split = splitTrainValidation(train.examples, { validationFraction: fraction, seed: settings.seed, file: data.train.file });
    trainExamples = split.train;
    validationExamples = split.validation;
  }

  data.examples = { train: trainExamples, validation: validationExamples, id2label: train.id2label, settings: { ...settings, columns } };
  const withFile = (table: RawTable) => <T>(item: T) => ({ file: table.file, ...item });
  const skipped = [...train.skipped.map(withFile(data.train)), ...(validation?.skipped.map(withFile(data.validation!)) ?? [])];
  const clipped = [...train.clipped.map(withFile(data.train)), ...(validation?.clipped.map(withFile(data.validation!)) ?? [])];
  return {
    settings: { ...settings, columns },
    id2label: train.id2label,
    trainCount: trainExamples.length,
    validationCount: validationExamples.length,
    validationFrom: data.validation ? 'file' : 'split',
    trainBalance: labelBalance(trainExamples, train.id2label),
    validationBalance: labelBalance(validationExamples, train.id2label),
    skipped: { total: skipped.length, first: skipped.slice(0, FIRST_WARNINGS) },
    clipped: { total: clipped.length, first: clipped.slice(0, FIRST_WARNINGS) },
  };
}
