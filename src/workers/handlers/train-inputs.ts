/**
 * What a run takes from the session: the loaded model and data (refused, with what to do, when
 * missing), the labels its head trains on, the identities a resume compares with the run's, and
 * the run's model and TrainingRun.
 */
import { BadInputError } from '../../errors';
import type { GpuContext } from '../../gpu/context';
import type { RunRecord, StoredTensor } from '../../engine/train/checkpoint-store';
import { checkTokenizerFitsModel } from '../../engine/io/tokenizer';
import { buildModel } from '../../engine/model/build';
import type { RobertaModel } from '../../engine/model/roberta';
import { TrainingRun, type RunData } from '../../engine/train/run';
import type { Example } from '../../engine/io/datasets';
import { hasTrainedHead, labelsFor, relabel, type LabelMapping } from '../../engine/train/labels';
import { peftOf, engineSettingsOf, type TrainOptions } from '../../engine/train/run-options';
import type { RunCurves, RunSettings } from '../../engine/train/run-record';
import { needData, needModel, type DataIdentity, type ModelIdentity } from '../../engine/train/resume-checks';
import { NotReadyError } from '../../errors';
import type { LoadedData, LoadedModel, Session } from '../session';

export function modelForTraining(session: Session, settings?: RunSettings): LoadedModel {
  const loaded = session.model;
  if (!loaded) throw new NotReadyError(settings ? `${needModel(settings)}, then Resume.` : 'Load a model first (1 Model): training fine-tunes it.');
  if (!loaded.tokenizer) throw new NotReadyError(loaded.summary.tokenizerProblem ?? 'The loaded model has no tokenizer; training needs one.');
  checkTokenizerFitsModel(loaded.tokenizer, loaded.config, loaded.configFile);
  return loaded;
}

/** The loaded data with its columns chosen and both sets non-empty. */
export function dataForTraining(session: Session, settings?: RunSettings): LoadedData & { examples: NonNullable<LoadedData['examples']> } {
  const data = session.data;
  if (!data) throw new NotReadyError(settings ? `${needData(settings)}, then Resume.` : 'Load a dataset first (2 Data): the built-in demo data or your own file.');
  const examples = data.examples;
  if (!examples) throw new NotReadyError('Choose the text and label columns of the dataset first (2 Data).');
  if (examples.train.length === 0) throw new NotReadyError('The training set is empty: there is nothing to train on.');
  if (examples.validation.length === 0) throw new NotReadyError('The validation set is empty: give a validation file or hold out a share of the training file.');
  return { ...data, examples };
}

/** The labels the head trains on: the checkpoint head's (the data mapped onto them), or the data's. */
export function labelsOf(loaded: LoadedModel, data: LoadedData): LabelMapping {
  const examples = data.examples!;
  return labelsFor(examples.id2label, hasTrainedHead(loaded.weights) ? loaded.config.id2label : null, { file: data.files[0].name, labelColumn: examples.settings.columns.label });
}

/** The training and validation examples with the head's label ids. */
export function examplesFor(loaded: LoadedModel, data: LoadedData): { train: Example[]; validation: Example[] } {
  const { remap } = labelsOf(loaded, data);
  return { train: relabel(data.examples!.train, remap), validation: relabel(data.examples!.validation, remap) };
}

export function modelIdentity(loaded: LoadedModel): ModelIdentity {
  const { name, files, layers, hidden, heads, intermediate, vocabSize } = loaded.summary;
  return { name, files, shape: { layers, hidden, heads, intermediate, vocabSize } };
}

export function dataIdentity(loaded: LoadedModel, data: LoadedData): DataIdentity {
  const examples = data.examples!;
  return {
    origin: data.origin,
    files: data.files,
    hasValidationFile: data.validation !== null,
    columns: examples.settings,
    id2label: labelsOf(loaded, data).id2label,
    trainCount: examples.train.length,
  };
}

/** The settings a new run is saved with and rebuilt from. */
export function newRunSettings(loaded: LoadedModel, data: LoadedData, options: TrainOptions): RunSettings {
  const examples = data.examples!;
  const model = modelIdentity(loaded);
  return {
    version: 2,
    model: { origin: loaded.origin, name: model.name, files: model.files, shape: model.shape },
    data: { origin: data.origin, files: data.files, columns: examples.settings, trainCount: examples.train.length, validationCount: examples.validation.length },
    id2label: labelsOf(loaded, data).id2label,
    options,
    peft: peftOf(options.method, options.dropout),
    engine: engineSettingsOf(options),
  };
}

/** The run's model: the loaded checkpoint's weights with the run's PEFT modules and labels (out of memory shows here, before the loaded model is replaced). */
export async function modelFor(ctx: GpuContext, loaded: LoadedModel, settings: RunSettings): Promise<RobertaModel> {
  const config = { ...loaded.config, id2label: [...settings.id2label], numLabels: settings.id2label.length };
  try {
    const model = await buildModel(ctx, { config, weights: loaded.weights, peft: settings.peft, trainMasks: false, seed: settings.options.seed });
    await ctx.sync();
    return model;
  } catch (e) {
    ctx.pool.trim();
    throw e;
  }
}

/** A checkpoint that does not fit the model it is restored into: the run cannot go on. */
export function unusableCheckpoint(run: RunRecord, error: unknown): BadInputError {
  return new BadInputError(`the saved run “${run.name}”`, null, `${(error as Error).message}. Delete it and start a new run.`);
}

/** The run's model (its PEFT method and labels) and TrainingRun, continuing the checkpoint when resuming. */
export async function trainerFor(ctx: GpuContext, loaded: LoadedModel, settings: RunSettings, data: RunData, run: RunRecord, checkpoint: Map<string, StoredTensor> | null, earlier: RunCurves): Promise<TrainingRun> {
  const trainer = new TrainingRun(await modelFor(ctx, loaded, settings), loaded.tokenizer!, data, settings.engine);
  if (!checkpoint) return trainer;
  try {
    trainer.restore({ step: run.step, logs: earlier.loss, evaluations: earlier.evaluations, rollbacks: earlier.rollbacks }, checkpoint);
  } catch (e) {
    trainer.dispose();
    trainer.model.dispose();
    ctx.pool.trim();
    throw unusableCheckpoint(run, e);
  }
  return trainer;
}
