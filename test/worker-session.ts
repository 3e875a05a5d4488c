/**
 * A worker session for the handler tests (Node, fake-indexeddb): a tiny generated model with the
 * tiny test tokenizer loaded as a picked folder, and a small two-label CSV with its columns chosen.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gpuContext } from './helpers';
import type { GpuContext } from '../src/gpu/context';
import { IndexedDbCheckpointStore } from '../src/platform/browser/indexeddb-checkpoints';
import { Session } from '../src/workers/session';
import type { PickedFile, TrainOptions } from '../src/workers/protocol';
import { tinyModelFiles } from '../src/workers/testing';
import { loadModel } from '../src/workers/handlers/load-model';
import { loadData } from '../src/workers/handlers/load-data';
import { chooseColumns } from '../src/workers/handlers/choose-columns';

const TOKENIZER_DIR = join(__dirname, 'fixtures', 'tokenizer-tiny');
const noProgress = () => {};

/** Forty short messages, alternately ham and spam. */
export const TINY_CSV = 'text,label\n' + Array.from({ length: 40 }, (_, i) => `"message number ${i} about ${i % 2 ? 'cheap pills now' : 'the meeting today'}",${i % 2 ? 'spam' : 'ham'}`).join('\n') + '\n';
/** A fifth held out for validation (8 examples). */
export const TINY_COLUMNS = { columns: { text: 'text', textPair: null, label: 'label' }, validationFraction: 0.2, seed: 3 };

/** A short LoRA run on it: 12 steps of 4, a checkpoint every 4 steps, an evaluation every 3. */
export const TINY_TRAIN_OPTIONS: TrainOptions = {
  method: { kind: 'lora', rank: 4, alpha: 8, targets: ['query', 'value'] },
  steps: 12,
  batchSize: 4,
  lr: 1e-2,
  maxLength: 16,
  seed: 5,
  dropout: true,
  checkpointEvery: 4,
  evalEvery: 3,
};

export type TinyShape = Parameters<typeof tinyModelFiles>[0];

/** The tiny model of `shape` with its tokenizer files, as a folder "tiny/" the person picked. */
export function tinyModelFolder(shape: TinyShape): PickedFile[] {
  const { configJson, safetensors } = tinyModelFiles(shape);
  const file = (path: string, bytes: Uint8Array) => ({ path: `tiny/${path}`, file: new File([bytes as BlobPart], path) });
  return [
    file('config.json', configJson),
    file('model.safetensors', safetensors),
    file('tokenizer.json', readFileSync(join(TOKENIZER_DIR, 'tokenizer.json'))),
    file('tokenizer_config.json', readFileSync(join(TOKENIZER_DIR, 'tokenizer_config.json'))),
  ];
}

/**
 * A session (a page) on the IndexedDB `store`, with the tiny model, TINY_CSV and its columns chosen;
 * on the tests' shared GPU context unless given its own (`gpu`).
 */
export async function tinySession(store: string, shape: TinyShape, gpu: () => Promise<GpuContext> = gpuContext): Promise<Session> {
  const session = new Session(gpu, () => IndexedDbCheckpointStore.open(store));
  await loadModel(session, { kind: 'files', files: tinyModelFolder(shape) }, noProgress);
  await loadData(session, { kind: 'files', train: new File([TINY_CSV], 'mail.csv'), validation: null }, noProgress);
  chooseColumns(session, TINY_COLUMNS);
  return session;
}
