/** Loading a model: shape checks name the tensor and file, a failed load frees what it allocated, fresh PEFT starts at the base model. */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { countingSource, gpuContext } from './helpers';
import { nodeDirReader } from '../src/platform/node/dir-reader';
import { readModelDir } from '../src/engine/model/model-dir';
import { buildModel } from '../src/engine/model/build';
import { parseBatchJson, uploadBatch } from '../src/engine/model/batch';
import { parseModelConfig } from '../src/engine/model/config';
import { BadInputError } from '../src/errors';
import { WeightSource } from '../src/engine/model/weights';
import { writeSafetensors, parseSafetensors, readTensorF32 } from '../src/engine/io/safetensors';

const DIR = join(__dirname, 'fixtures', 'lora-awkward');
const configJson = () => JSON.parse(readFileSync(join(DIR, 'config.json'), 'utf8'));

describe('model loading', () => {
  it('rejects a checkpoint whose shapes disagree with config.json, naming both, and frees the partial model', async () => {
    const ctx = await gpuContext();
    const { weights } = await readModelDir(nodeDirReader(DIR));
    const config = parseModelConfig({ ...configJson(), intermediate_size: 48 }, 'config.json');
    const before = ctx.pool.inUseBytes;
    const attempt = buildModel(ctx, { config, weights, peft: { kind: 'lora', rank: 2, alpha: 4, targets: ['query'] }, trainMasks: true });
    await expect(attempt).rejects.toThrow(
      /model\.safetensors \(tensor roberta\.encoder\.layer\.0\.intermediate\.dense\.weight\): has shape \[47,30\] but config\.json implies \[48,30\]/,
    );
    await expect(attempt).rejects.toBeInstanceOf(BadInputError);
    expect(ctx.pool.inUseBytes).toBe(before);
  });

  it('checks every tensor against the headers before reading or uploading any', async () => {
    const ctx = await gpuContext();
    const original = parseSafetensors(readFileSync(join(DIR, 'model.safetensors')), 'model.safetensors');
    const last = 'roberta.encoder.layer.2.output.LayerNorm.bias';
    const tensors = [...original.tensors.keys()].map((name): [string, { data: Float32Array; shape: number[] }] => {
      const t = readTensorF32(original, name);
      return [name, name === last ? { data: t.data.subarray(1), shape: [t.shape[0] - 1] } : t];
    });
    const source = countingSource(writeSafetensors(tensors), 'model.safetensors');
    const weights = await WeightSource.open([source]);
    const before = ctx.pool.inUseBytes;
    const attempt = buildModel(ctx, { config: parseModelConfig(configJson()), weights, peft: { kind: 'lora', rank: 2, alpha: 4, targets: ['query'] }, trainMasks: true });
    await expect(attempt).rejects.toThrow(`model.safetensors (tensor ${last}): has shape [29] but config.json implies [30]`);
    expect(source.dataReads).toBe(0);
    expect(ctx.pool.inUseBytes).toBe(before);
  });

  it('rejects another architecture with the supported list', () => {
    expect(() => parseModelConfig({ ...configJson(), model_type: 'bert' }, 'config.json')).toThrow(
      'config.json: unsupported model type "bert"; supported: roberta, xlm-roberta, camembert; use a RoBERTa-family checkpoint such as FacebookAI/roberta-base',
    );
  });

  it('gives a checkpoint without a classification head a fresh one, and fresh LoRA (B = 0) starts at the base model', async () => {
    const ctx = await gpuContext();
    const config = parseModelConfig(configJson(), 'config.json');
    const full = parseSafetensors(readFileSync(join(DIR, 'model.safetensors')), 'model.safetensors');
    const encoderOnly = [...full.tensors.keys()].filter((k) => !k.startsWith('classifier.')).map((k) => [k, readTensorF32(full, k)] as [string, ReturnType<typeof readTensorF32>]);
    const weights = WeightSource.fromBytes([{ bytes: writeSafetensors(encoderOnly), file: 'model.safetensors' }]);
    const batch = uploadBatch(ctx, parseBatchJson(JSON.parse(readFileSync(join(DIR, 'batch.json'), 'utf8')), config, 'batch.json'));

    const logitsOf = async (targets: Array<'query' | 'value' | 'output.dense'>) => {
      const model = await buildModel(ctx, { config, weights, peft: { kind: 'lora', rank: 4, alpha: 8, targets }, trainMasks: false, seed: 3 });
      const result = model.forward(batch, { forBackward: false });
      const logits = await ctx.read(result.logits);
      model.release(result);
      return logits;
    };
    const plain = await logitsOf([]);
    const withLora = await logitsOf(['query', 'value', 'output.dense']);
    expect(plain.every(Number.isFinite)).toBe(true);
    expect(new Set(plain).size).toBeGreaterThan(1); // a real (random, non-zero) head
    expect([...withLora]).toEqual([...plain]);
  });
});
