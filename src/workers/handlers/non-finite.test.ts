/**
 * A run that meets NaN in the worker: with "roll back" it goes back and halves the learning rate,
 * the page hears of each rollback, and when the NaN keeps coming back (here: a NaN LayerNorm
 * weight in the model file, which no rollback restores) the run fails with NON_FINITE_LOSS after
 * its rollbacks; with "stop" it fails at once.
 */
import 'fake-indexeddb/auto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gpuContext } from '../../../test/helpers';
import { IndexedDbCheckpointStore } from '../../platform/browser/indexeddb-checkpoints';
import { Session } from '../session';
import type { PickedFile, TrainOptions, TrainProgress } from '../protocol';
import { writeSafetensors } from '../../engine/io/safetensors';
import { parseModelConfig } from '../../engine/model/config';
import { randomWeightTensors } from '../../engine/model/random-weights';
import { NON_FINITE_DEFAULTS } from '../../engine/train/defaults';
import { tinyModelFiles } from '../testing';
import { loadModel } from './load-model';
import { loadData } from './load-data';
import { chooseColumns } from './choose-columns';
import { listRuns } from './runs';
import { startTraining } from './train';

const FIXTURES = join(__dirname, '..', '..', '..', 'test', 'fixtures');
const CSV = 'text,label\n' + Array.from({ length: 24 }, (_, i) => `"message ${i} about ${i % 2 ? 'cheap pills' : 'the meeting'}",${i % 2 ? 'spam' : 'ham'}`).join('\n') + '\n';
const OPTIONS: TrainOptions = {
  method: { kind: 'lora', rank: 2, alpha: 4, targets: ['query', 'value'] },
  steps: 12,
  batchSize: 4,
  lr: 1e-2,
  maxLength: 16,
  seed: 5,
  dropout: false,
  checkpointEvery: 4,
  evalEvery: 0,
};

/** The tiny model with NaN in its embeddings' LayerNorm weight: every forward is NaN. */
function poisonedFolder(): PickedFile[] {
  const { config, configJson } = tinyModelFiles();
  const tensors = randomWeightTensors(parseModelConfig(config));
  const gamma = tensors.find(([name]) => name.endsWith('embeddings.LayerNorm.weight'))!;
  gamma[1].data.fill(NaN);
  const file = (path: string, bytes: Uint8Array) => ({ path: `nan/${path}`, file: new File([bytes as BlobPart], path) });
  return [
    file('config.json', configJson),
    file('model.safetensors', writeSafetensors(tensors)),
    file('tokenizer.json', readFileSync(join(FIXTURES, 'tokenizer-tiny', 'tokenizer.json'))),
    file('tokenizer_config.json', readFileSync(join(FIXTURES, 'tokenizer-tiny', 'tokenizer_config.json'))),
  ];
}

async function readySession(store: string): Promise<Session> {
  const session = new Session(gpuContext, () => IndexedDbCheckpointStore.open(store));
  await loadModel(session, { kind: 'files', files: poisonedFolder() }, () => {});
  await loadData(session, { kind: 'files', train: new File([CSV], 'mail.csv'), validation: null }, () => {});
  chooseColumns(session, { columns: { text: 'text', textPair: null, label: 'label' }, validationFraction: 0.25, seed: 3 });
  return session;
}

describe('training meets NaN in the worker', () => {
  it('roll back: each rollback reaches the page, then the run fails with NON_FINITE_LOSS', async () => {
    const session = await readySession('nan-rollback');
    const seen: TrainProgress[] = [];
    const error = await startTraining(session, { ...OPTIONS, onNonFinite: 'rollback' }, (p) => seen.push(structuredClone(p))).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'NON_FINITE_LOSS', message: expect.stringMatching(/The loss became NaN at step 1, after 3 rollbacks/) });
    const counts = [...new Set(seen.map((p) => p.rollbacks.length))];
    expect(counts).toEqual([0, 1, 2, 3].slice(0, NON_FINITE_DEFAULTS.maxRollbacks + 1));
    expect(seen.at(-1)!.rollbacks.map((r) => r.lrScale)).toEqual([0.5, 0.25, 0.125]);
    expect(seen.flatMap((p) => p.newLogs)).toEqual([]); // no NaN loss point ever reached the page
    const [run] = await listRuns(session);
    expect(run).toMatchObject({ status: 'failed' });
  });

  it('stop: the run fails at the first NaN, without rollbacks', async () => {
    const session = await readySession('nan-stop');
    const seen: TrainProgress[] = [];
    const error = await startTraining(session, OPTIONS, (p) => seen.push(p)).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'NON_FINITE_LOSS', message: expect.stringMatching(/^The loss became NaN at step 1\. .*roll back on NaN/) });
    expect(seen.every((p) => p.rollbacks.length === 0)).toBe(true);
  });
});
