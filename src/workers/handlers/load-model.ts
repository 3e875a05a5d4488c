/**
 * loadModel: read config.json, weights and tokenizer from the chosen source, build the model on
 * the GPU with a fresh (untrained) PEFT set-up, and only then replace the model loaded before.
 * A cancel (`signal`) stops it at the next read or step; what it had built is freed and the model
 * loaded before stays.
 */
import { readModelDir } from '../../engine/model/model-dir';
import type { DirReader } from '../../engine/io/dir-reader';
import { checkTokenizerFitsModel, loadTokenizer, type TextTokenizer } from '../../engine/io/tokenizer';
import { buildModel } from '../../engine/model/build';
import type { PeftConfig } from '../../engine/model/peft';
import { CLASSIFIER_TENSORS } from '../../engine/model/names';
import type { RobertaModel } from '../../engine/model/roberta';
import type { ModelOrigin, ModelSource, ModelSummary } from '../protocol';
import type { ProgressReporter, Session } from '../session';
import { FILES_WITHOUT_FOLDER, modelReader } from './model-reader';
import { describePeft, maxTokensOf } from './model-summary';
import { readTokenizerFiles } from '../../engine/io/tokenizer-dir';
import { refuseWhileTraining } from './busy';
import { throwIfCancelled } from '../cancel';

/** The PEFT set-up a freshly loaded model gets: the "vanilla" LoRA baseline (docs/ARCHITECTURE.md, "Light-PEFT algorithm"). */
export const DEFAULT_PEFT: PeftConfig = { kind: 'lora', rank: 8, alpha: 16, targets: ['query', 'value'] };

export async function loadModel(session: Session, source: ModelSource, progress: ProgressReporter, signal?: AbortSignal): Promise<ModelSummary> {
  throwIfCancelled(signal); // cancelled while it waited behind another model job
  refuseWhileTraining(session, 'load another model');
  // The weights are read again when training rebuilds the model: that is not this request's progress.
  // (Nor can the signal fire then: a request's cancel is dropped when it finishes.)
  let reporting = true;
  const { reader, name, baseModelName, baseModelRevision, files } = await modelReader(source, (...args) => reporting && progress(...args), signal);
  // Everything that can be checked on the CPU is checked before any GPU memory is taken.
  const { config, weights } = await readModelDir(reader);
  const configFile = reader.describe('config.json');
  const tokenizerBytes: { name: string; bytes: Uint8Array }[] = [];
  const tokenizerFiles = await readTokenizerFiles(keepingReads(reader, tokenizerBytes));
  let tokenizer: TextTokenizer | null = null;
  let tokenizerProblem: string | null = null;
  if (tokenizerFiles) {
    tokenizer = loadTokenizer(tokenizerFiles, (file) => reader.describe(file));
    try {
      checkTokenizerFitsModel(tokenizer, config, configFile);
    } catch (e) {
      tokenizerProblem = (e as Error).message;
    }
  } else {
    tokenizerProblem =
      'This model has no tokenizer (tokenizer.json, or vocab.json and merges.txt): add the tokenizer files that came with it to the folder. ' +
      'The model itself loaded; the tokenize check and training need a tokenizer.';
  }

  const ctx = await session.gpu();
  throwIfCancelled(signal); // before any GPU memory is taken
  let model: RobertaModel;
  try {
    // buildModel frees what it allocated when a tensor fails to load; trimming returns it to the driver.
    model = await buildModel(ctx, { config, weights, peft: DEFAULT_PEFT, trainMasks: false, seed: 0 });
  } catch (e) {
    ctx.pool.trim();
    throw e;
  }
  try {
    await ctx.sync(); // surfaces GPU errors (out of memory) before the model counts as loaded
    throwIfCancelled(signal); // the last chance: from here on nothing awaits until the swap
  } catch (e) {
    model.dispose();
    ctx.pool.trim();
    throw e;
  }

  const previous = session.model;
  const summary: ModelSummary = {
    name,
    sourceKind: source.kind,
    modelType: config.modelType,
    layers: config.layers,
    hidden: config.hidden,
    heads: config.heads,
    intermediate: config.intermediate,
    vocabSize: config.vocabSize,
    maxPositions: config.maxPositions,
    maxTokens: maxTokensOf(config),
    parameters: model.baseParameterCount(),
    trainableParameters: model.trainableParameterCount(),
    peft: describePeft(DEFAULT_PEFT),
    id2label: [...config.id2label],
    freshHead: !weights.has(CLASSIFIER_TENSORS.outWeight),
    tokenizer: tokenizer && { vocabSize: tokenizer.vocabSize, source: tokenizer.source, modelMaxLength: tokenizer.modelMaxLength },
    tokenizerProblem,
    gpuBytes: 0,
    files: files(),
  };
  reporting = false;
  session.model = { model, config, weights, origin: originOf(source, name), tokenizer, tokenizerBytes, configFile, summary, baseModelName, baseModelRevision };
  session.lastRun = null; // a new model has no training report yet
  if (previous) {
    previous.model.dispose();
    ctx.pool.trim(); // give the old model's memory back to the driver, so the figure below is honest
  }
  summary.gpuBytes = ctx.liveBytes;
  return summary;
}

/** Where the model came from, as a saved run records it (no File objects: they do not survive a reload). */
function originOf(source: ModelSource, name: string): ModelOrigin {
  if (source.kind === 'demo') return { kind: 'demo' };
  if (source.kind === 'hub') return { kind: 'hub', modelId: name }; // with its @revision; the token is never kept
  return { kind: 'files', folderName: name === FILES_WITHOUT_FOLDER ? null : name };
}

/** The reader, keeping the bytes of each file read through it (the tokenizer files: a few MB at most). */
function keepingReads(reader: DirReader, kept: { name: string; bytes: Uint8Array }[]): DirReader {
  return {
    async read(name: string) {
      const bytes = await reader.read(name);
      if (bytes) kept.push({ name, bytes });
      return bytes;
    },
    open: (name) => reader.open(name),
    describe: (name) => reader.describe(name),
  };
}
