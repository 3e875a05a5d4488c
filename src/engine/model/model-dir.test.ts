/** readPeftDir on odd adapters found by model-files.property.test.ts, kept as examples. */
import { describe, expect, it } from 'vitest';
import { bytesSource } from '../io/byte-source';
import { readPeftDir } from './model-dir';
import type { DirReader } from '../io/dir-reader';
import { writeSafetensors } from '../io/safetensors';

function memoryDir(files: Record<string, Uint8Array>): DirReader {
  const describe = (name: string) => `adapter/${name}`;
  return {
    describe,
    read: async (name) => files[name] ?? null,
    open: async (name) => (files[name] ? bytesSource(files[name], describe(name)) : null),
  };
}

const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
const zeros = (...shape: number[]) => ({ data: new Float32Array(shape.reduce((a, b) => a * b, 1)), shape });
const LORA_A = 'base_model.model.roberta.encoder.layer.0.attention.self.query.lora_A.weight';
const DOWN = 'roberta.encoder.layer.0.output.adapter.down.weight';
const lora = { peft_type: 'LORA', r: 2, lora_alpha: 4, target_modules: ['query'] };

describe('readPeftDir', () => {
  it('reads a LoRA adapter with its label names', async () => {
    const weights = writeSafetensors([[LORA_A, zeros(2, 8)]], { id2label: '["neg","pos"]' });
    const { peft, labels } = await readPeftDir(memoryDir({ 'adapter_config.json': json({ ...lora, rank_pattern: { query: 4 } }), 'adapter_model.safetensors': weights }));
    expect(peft).toMatchObject({ kind: 'lora', rank: 2, rankPattern: { query: 4 } });
    expect(labels).toEqual(['neg', 'pos']);
  });

  it('rejects a bottleneck down-projection that is not [size ≥ 1, hidden] (the size was undefined or 0)', async () => {
    const config = json({ peft_type: 'BOTTLENECK_ADAPTER', adapter_size: 2 });
    for (const shape of [[], [4], [0, 8]]) {
      await expect(readPeftDir(memoryDir({ 'adapter_config.json': config, 'adapter_model.safetensors': writeSafetensors([[DOWN, zeros(...shape)]]) }))).rejects.toThrow(
        `adapter/adapter_model.safetensors (tensor ${DOWN}): has shape [${shape.join(',')}]; a bottleneck down-projection is [adapter size ≥ 1, hidden size]`,
      );
    }
  });

  it('reads lora_dropout and adapter_dropout as the modules\' dropout (0 or absent: off)', async () => {
    const loraFiles = (extra: object) => memoryDir({ 'adapter_config.json': json({ ...lora, ...extra }), 'adapter_model.safetensors': writeSafetensors([[LORA_A, zeros(2, 8)]]) });
    expect((await readPeftDir(loraFiles({ lora_dropout: 0.05 }))).peft).toMatchObject({ kind: 'lora', dropout: 0.05 });
    for (const off of [{ lora_dropout: 0 }, { lora_dropout: null }, {}]) expect((await readPeftDir(loraFiles(off))).peft).not.toHaveProperty('dropout');
    const adapterFiles = memoryDir({ 'adapter_config.json': json({ peft_type: 'BOTTLENECK_ADAPTER', adapter_size: 2, adapter_dropout: 0.1 }), 'adapter_model.safetensors': writeSafetensors([[DOWN, zeros(2, 8)]]) });
    expect((await readPeftDir(adapterFiles)).peft).toMatchObject({ kind: 'adapter', dropout: 0.1, modules: { 'roberta.encoder.layer.0.output.adapter': 2 } });
  });

  it('rejects a dropout that is not a probability below 1', async () => {
    for (const bad of [1, -0.1, '0.1']) {
      const files = { 'adapter_config.json': json({ ...lora, lora_dropout: bad }), 'adapter_model.safetensors': writeSafetensors([[LORA_A, zeros(2, 8)]]) };
      await expect(readPeftDir(memoryDir(files))).rejects.toThrow(`adapter/adapter_config.json: "lora_dropout" must be a number at least 0 and below 1, got ${JSON.stringify(bad)}`);
    }
  });

  it('refuses an adapter with biases (the earlier architecture) and says to train it again', async () => {
    const bias = 'roberta.encoder.layer.0.output.adapter.down.bias';
    const files = { 'adapter_config.json': json({ peft_type: 'BOTTLENECK_ADAPTER', adapter_size: 2 }), 'adapter_model.safetensors': writeSafetensors([[DOWN, zeros(2, 8)], [bias, zeros(2)]]) };
    await expect(readPeftDir(memoryDir(files))).rejects.toThrow(`adapter/adapter_model.safetensors (tensor ${bias}): is an adapter bias;`);
    await expect(readPeftDir(memoryDir(files))).rejects.toThrow('train it again');
  });

  it('rejects fractional ranks in rank_pattern', async () => {
    const files = { 'adapter_config.json': json({ ...lora, rank_pattern: { query: 0.5 } }), 'adapter_model.safetensors': writeSafetensors([[LORA_A, zeros(2, 8)]]) };
    await expect(readPeftDir(memoryDir(files))).rejects.toThrow('adapter/adapter_config.json: "rank_pattern" must map module names to positive integers, got {"query":0.5}');
  });

  it('rejects label metadata with fewer than 2 labels', async () => {
    for (const id2label of ['[]', '["only"]', '{"0":"a"}', 'not json']) {
      const files = { 'adapter_config.json': json(lora), 'adapter_model.safetensors': writeSafetensors([[LORA_A, zeros(2, 8)]], { id2label }) };
      await expect(readPeftDir(memoryDir(files))).rejects.toThrow(`adapter/adapter_model.safetensors (metadata id2label): must be a JSON list of at least 2 label names, got ${id2label}`);
    }
  });
});
