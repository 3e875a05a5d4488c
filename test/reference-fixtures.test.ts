/**
 * The whole model against PyTorch (tools/reference/make_fixtures.py): logits, losses, every hidden
 * state, every trainable gradient, Light-PEFT scores, and 10 AdamW steps of losses. The *-dropout
 * fixtures take the first step in training mode (meta.json's dropout_seed): the reference applies
 * the engine's dropout masks, LoRA's and the adapters' own dropout included.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expectClose, gpuContext } from './helpers';
import { nodeDirReader } from '../src/platform/node/dir-reader';
import { readModelDir, readPeftDir } from '../src/engine/model/model-dir';
import { parseSafetensors, readTensorF32 } from '../src/engine/io/safetensors';
import { WeightSource } from '../src/engine/model/weights';
import { buildModel } from '../src/engine/model/build';
import { parseBatchJson, uploadBatch } from '../src/engine/model/batch';
import { gradientStep } from '../src/engine/train/step';
import { AdamW } from '../src/engine/train/optimizer';

const FIXTURES = join(__dirname, 'fixtures');
const CONFIGS = ['lora-all', 'lora-awkward', 'adapter', 'lora-dropout', 'adapter-dropout'];

async function setup(name: string) {
  const dir = join(FIXTURES, name);
  const ctx = await gpuContext();
  const { config, weights } = await readModelDir(nodeDirReader(dir));
  const { peft, init } = await readPeftDir(nodeDirReader(join(dir, 'adapter')));
  const masks = WeightSource.fromBytes([{ bytes: readFileSync(join(dir, 'masks.safetensors')), file: 'masks.safetensors' }]);
  const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8'));
  const model = await buildModel(ctx, { config, weights, peft, peftInit: init, masks, trainMasks: true });
  const host = parseBatchJson(JSON.parse(readFileSync(join(dir, 'batch.json'), 'utf8')), config, 'batch.json');
  const batch = uploadBatch(ctx, host);
  const expected = parseSafetensors(readFileSync(join(dir, 'expected.safetensors')), `${name}/expected.safetensors`);
  const want = (key: string) => readTensorF32(expected, key).data;
  // Training mode when the fixture was computed with dropout; evaluation mode otherwise.
  const dropoutSeed: number | undefined = meta.dropout_seed;
  return { ctx, model, batch, meta, expected, want, dropoutSeed, lambdas: { lambdaHead: meta.lambda_head, lambdaFfn: meta.lambda_ffn } };
}

describe.each(CONFIGS)('PyTorch reference: %s', (name) => {
  it('matches logits, losses, hidden states, every gradient and the Light-PEFT scores', async () => {
    const { ctx, model, batch, expected, want, lambdas, dropoutSeed } = await setup(name);
    const step = gradientStep(model, batch, { ...lambdas, scoreBeta: 0, dropoutSeed });
    expectClose(await ctx.read(step.forward.logits), want('logits'), 1e-4, 'logits');
    expectClose(await ctx.read(step.taskLoss), want('loss.task'), 1e-4, 'loss.task');
    expectClose(await ctx.read(step.totalLoss), want('loss'), 1e-4, 'loss');
    for (const [i, h] of step.forward.hiddenStates.entries()) {
      expectClose(await ctx.read(h), want(`hidden_states.${i}`), 1e-4, `hidden_states.${i}`);
    }
    const params = model.trainableParams();
    const expectedGrads = [...expected.tensors.keys()].filter((k) => k.startsWith('grad.')).sort();
    expect(params.map((p) => `grad.${p.name}`).sort()).toEqual(expectedGrads);
    for (const p of params) expectClose(await ctx.read(p.grad), want(`grad.${p.name}`), 1e-4, `grad.${p.name}`);
    const modules = model.peftModules();
    expect(modules.length).toBeGreaterThan(0);
    for (const m of modules) {
      expectClose(await ctx.read(m.importance), want(`score.module.${m.module}`), 1e-4, `score.module.${m.module}`);
      expectClose(await ctx.read(m.rankScore), want(`score.rank.${m.module}`), 1e-4, `score.rank.${m.module}`);
    }
    step.release();
  });

  it('follows the 10-step AdamW loss curve', async () => {
    const { ctx, model, batch, meta, want, lambdas } = await setup(name);
    const optimizer = new AdamW(ctx, {
      lr: meta.lr,
      beta1: meta.betas[0],
      beta2: meta.betas[1],
      eps: meta.eps,
      groups: {
        peft: { lrMultiplier: 1, weightDecay: meta.weight_decay },
        head: { lrMultiplier: 1, weightDecay: meta.weight_decay },
        mask: { lrMultiplier: meta.mask_lr_mult, weightDecay: 0 },
      },
    });
    const losses: number[] = [];
    for (let s = 0; s < meta.steps; s++) {
      const step = gradientStep(model, batch, lambdas);
      optimizer.update(model.trainableParams());
      losses.push((await ctx.read(step.totalLoss))[0]);
      step.release();
    }
    const expectedLosses = want('train.losses');
    expectClose(losses, expectedLosses, 1e-3, 'train.losses');
    // The curve must actually move, or matching it proves little.
    expect(Math.abs(expectedLosses[0] - expectedLosses[meta.steps - 1])).toBeGreaterThan(1e-3);
  });
});
