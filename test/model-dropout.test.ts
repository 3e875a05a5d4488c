/**
 * Training mode (dropout on): the backward must replay the forward's dropout masks. Checked by a
 * directional derivative: (L(θ+εd) − L(θ−εd)) / 2ε against ∇L·d with the same dropout seed.
 * If any site's backward used another mask, the two would disagree by far more than f32 noise.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { gpuContext, randomArray } from './helpers';
import { nodeDirReader } from '../src/platform/node/dir-reader';
import { readModelDir, readPeftDir } from '../src/engine/model/model-dir';
import { buildModel } from '../src/engine/model/build';
import { parseBatchJson, uploadBatch } from '../src/engine/model/batch';
import { gradientStep } from '../src/engine/train/step';

const FIXTURES = join(__dirname, 'fixtures');

describe.each(['lora-all', 'adapter'])('dropout in training mode (%s)', (name) => {
  it('gradients match a central difference of the loss with the same dropout masks', async () => {
    const dir = join(FIXTURES, name);
    const ctx = await gpuContext();
    const { config, weights } = await readModelDir(nodeDirReader(dir));
    config.hiddenDropout = 0.2;
    config.attentionDropout = 0.2;
    const { peft, init } = await readPeftDir(nodeDirReader(join(dir, 'adapter')));
    const model = await buildModel(ctx, { config, weights, peft, peftInit: init, trainMasks: true });
    const batch = uploadBatch(ctx, parseBatchJson(JSON.parse(readFileSync(join(dir, 'batch.json'), 'utf8')), config, 'batch.json'));
    const lambdas = { lambdaHead: 0, lambdaFfn: 0 };
    const seed = 1234;

    const lossAt = async (dropoutSeed: number | undefined) => {
      const step = gradientStep(model, batch, { ...lambdas, dropoutSeed });
      const loss = (await ctx.read(step.totalLoss))[0];
      step.release();
      return loss;
    };
    // Dropout really is on: another seed gives another loss, evaluation mode another still.
    const trainLoss = await lossAt(seed);
    expect(Math.abs(trainLoss - (await lossAt(seed + 1)))).toBeGreaterThan(1e-4);
    expect(Math.abs(trainLoss - (await lossAt(undefined)))).toBeGreaterThan(1e-4);

    const step = gradientStep(model, batch, { ...lambdas, dropoutSeed: seed });
    const params = model.trainableParams();
    const originals = await ctx.readMany(params.map((p) => p.tensor));
    const grads = await ctx.readMany(params.map((p) => p.grad));
    step.release();
    const directions = params.map((p, i) => randomArray(p.tensor.size, 100 + i));
    let analytic = 0;
    grads.forEach((g, i) => g.forEach((v, j) => (analytic += v * directions[i][j])));

    const shifted = async (eps: number) => {
      params.forEach((p, i) => ctx.upload(p.tensor, originals[i].map((v, j) => v + eps * directions[i][j])));
      return lossAt(seed);
    };
    const eps = 2e-3;
    const numeric = ((await shifted(eps)) - (await shifted(-eps))) / (2 * eps);
    params.forEach((p, i) => ctx.upload(p.tensor, originals[i]));
    expect(Math.abs(analytic)).toBeGreaterThan(1e-2);
    expect(Math.abs(numeric - analytic) / Math.abs(analytic)).toBeLessThan(2e-2);
  });
});
