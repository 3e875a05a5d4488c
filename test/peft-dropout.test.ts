/**
 * The PEFT modules' own dropout (LoRA input, adapter input): on only in training mode, with its own
 * seeds, and a probability below 1. Its exact values are checked against PyTorch by the
 * lora-dropout and adapter-dropout fixtures (reference-fixtures.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { gpuContext } from './helpers';
import { nodeDirReader } from '../src/platform/node/dir-reader';
import { readModelDir, readPeftDir } from '../src/engine/model/model-dir';
import { buildModel } from '../src/engine/model/build';
import { parseBatchJson, uploadBatch } from '../src/engine/model/batch';
import { gradientStep } from '../src/engine/train/step';
import type { PeftConfig } from '../src/engine/model/peft';

const FIXTURES = join(__dirname, 'fixtures');

async function lossesWith(name: string, dropout: number | undefined) {
  const dir = join(FIXTURES, name);
  const ctx = await gpuContext();
  const { config, weights } = await readModelDir(nodeDirReader(dir));
  const { peft, init } = await readPeftDir(nodeDirReader(join(dir, 'adapter')));
  const model = await buildModel(ctx, { config, weights, peft: { ...peft, dropout }, peftInit: init, trainMasks: false });
  const batch = uploadBatch(ctx, parseBatchJson(JSON.parse(readFileSync(join(dir, 'batch.json'), 'utf8')), config, 'batch.json'));
  const loss = async (dropoutSeed: number | undefined) => {
    const step = gradientStep(model, batch, { lambdaHead: 0, lambdaFfn: 0, dropoutSeed });
    const value = (await ctx.read(step.totalLoss))[0];
    step.release();
    return value;
  };
  const result = { evaluation: await loss(undefined), training: await loss(99) };
  model.dispose();
  return result;
}

describe.each(['lora-dropout', 'adapter-dropout'])('PEFT dropout (%s)', (name) => {
  it('changes the training loss, and leaves evaluation alone', async () => {
    const off = await lossesWith(name, undefined);
    const on = await lossesWith(name, 0.3);
    expect(on.evaluation).toBe(off.evaluation);
    expect(Math.abs(on.training - off.training)).toBeGreaterThan(1e-4);
    // p = 0 is the same as no dropout, bit for bit.
    expect(await lossesWith(name, 0)).toEqual(off);
  });
});

describe('PEFT dropout configuration', () => {
  it('rejects a probability of 1 or more, or below 0', async () => {
    const dir = join(FIXTURES, 'lora-awkward');
    const ctx = await gpuContext();
    const { config, weights } = await readModelDir(nodeDirReader(dir));
    for (const dropout of [1, -0.5]) {
      const peft: PeftConfig = { kind: 'lora', rank: 2, alpha: 4, targets: ['query'], dropout };
      await expect(buildModel(ctx, { config, weights, peft, trainMasks: false })).rejects.toThrow(`LoRA dropout must be at least 0 and below 1, got ${dropout}`);
    }
  });
});
