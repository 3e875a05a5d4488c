/** IndexedDB checkpoints: runs listed, saved atomically, deleted; a training state resumes exactly. */
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gpuContext } from './helpers';
import { IndexedDbCheckpointStore } from '../src/platform/browser/indexeddb-checkpoints';
import type { RunRecord } from '../src/engine/train/checkpoint-store';
import { nodeDirReader } from '../src/platform/node/dir-reader';
import { readModelDir, readPeftDir } from '../src/engine/model/model-dir';
import { buildModel } from '../src/engine/model/build';
import { parseBatchJson, uploadBatch } from '../src/engine/model/batch';
import { gradientStep } from '../src/engine/train/step';
import { AdamW } from '../src/engine/train/optimizer';
import { captureTrainingState, restoreTrainingState } from '../src/engine/train/state';

const run = (id: string, updatedAt: number): RunRecord => ({ id, name: `run ${id}`, createdAt: 1, updatedAt, step: 0, status: 'running', settings: { lr: 1e-3 }, curves: { loss: [1, 0.5] } });

describe('CheckpointStore', () => {
  it('lists runs newest first, loads and deletes them', async () => {
    const store = await IndexedDbCheckpointStore.open('test-list');
    await store.save(run('a', 10), new Map([['w', { shape: [2], data: Float32Array.of(1, 2) }]]));
    await store.save(run('b', 20), new Map());
    expect((await store.listRuns()).map((r) => r.id)).toEqual(['b', 'a']);
    const loaded = await store.load('a');
    expect(loaded?.run.curves).toEqual({ loss: [1, 0.5] });
    expect([...loaded!.tensors.get('w')!.data]).toEqual([1, 2]);
    await store.delete('a');
    expect(await store.load('a')).toBeNull();
    expect((await store.listRuns()).map((r) => r.id)).toEqual(['b']);
    store.close();
  });
});

describe('training state', () => {
  it('resumes from a checkpoint to exactly the same losses as an uninterrupted run', async () => {
    const ctx = await gpuContext();
    const dir = join(__dirname, 'fixtures', 'lora-all');
    const { config, weights } = await readModelDir(nodeDirReader(dir));
    const { peft, init } = await readPeftDir(nodeDirReader(join(dir, 'adapter')));
    const batch = uploadBatch(ctx, parseBatchJson(JSON.parse(readFileSync(join(dir, 'batch.json'), 'utf8')), config, 'batch.json'));
    const fresh = async () => {
      const model = await buildModel(ctx, { config, weights, peft, peftInit: init, trainMasks: true });
      const optimizer = new AdamW(ctx, { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, groups: { peft: { lrMultiplier: 1, weightDecay: 0.01 }, head: { lrMultiplier: 1, weightDecay: 0.01 }, mask: { lrMultiplier: 5, weightDecay: 0 } } });
      return { model, optimizer };
    };
    const train = async (s: Awaited<ReturnType<typeof fresh>>, steps: number) => {
      const losses: number[] = [];
      for (let i = 0; i < steps; i++) {
        const step = gradientStep(s.model, batch, { lambdaHead: 0.01, lambdaFfn: 0.01, scoreBeta: 1 });
        s.optimizer.update(s.model.trainableParams());
        losses.push((await ctx.read(step.totalLoss))[0]);
        step.release();
      }
      return losses;
    };

    const straight = await fresh();
    const all = await train(straight, 6);

    const first = await fresh();
    await train(first, 3);
    const store = await IndexedDbCheckpointStore.open('test-resume');
    await store.save({ ...run('r', 1), step: 3 }, await captureTrainingState(first.model, first.optimizer));
    const loaded = await store.load('r');
    const resumed = await fresh(); // a "reloaded page": new model and optimizer
    restoreTrainingState(resumed.model, resumed.optimizer, loaded!.tensors);
    expect(resumed.optimizer.step).toBe(3);
    expect(await train(resumed, 3)).toEqual(all.slice(3));
    expect(await ctx.read(resumed.model.peftModules()[0].importance)).toEqual(await ctx.read(straight.model.peftModules()[0].importance));
  });
});
