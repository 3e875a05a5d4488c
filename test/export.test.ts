/** Export to HF PEFT format and back: the re-loaded model computes the same logits. */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { gpuContext } from './helpers';
import { nodeDirReader } from '../src/platform/node/dir-reader';
import { readModelDir, readPeftDir } from '../src/engine/model/model-dir';
import { buildModel } from '../src/engine/model/build';
import { parseBatchJson, uploadBatch } from '../src/engine/model/batch';
import { exportPeftAdapter, zipFiles } from '../src/engine/export/export';
import { parseSafetensors } from '../src/engine/io/safetensors';
import type { RobertaModel } from '../src/engine/model/roberta';

const FIXTURES = join(__dirname, 'fixtures');

async function logits(model: RobertaModel, name: string): Promise<number[]> {
  const host = parseBatchJson(JSON.parse(readFileSync(join(FIXTURES, name, 'batch.json'), 'utf8')), model.config, 'batch.json');
  const batch = uploadBatch(model.ctx, host);
  const result = model.forward(batch, { forBackward: false });
  const out = [...(await model.ctx.read(result.logits))];
  model.release(result);
  batch.dispose();
  return out;
}

describe.each(['lora-awkward', 'adapter', 'lora-dropout'])('PEFT export (%s)', (name) => {
  it('writes a directory that loads back to the same model', async () => {
    const ctx = await gpuContext();
    const dir = join(FIXTURES, name);
    const { config, weights } = await readModelDir(nodeDirReader(dir));
    const { peft, init } = await readPeftDir(nodeDirReader(join(dir, 'adapter')));
    const model = await buildModel(ctx, { config, weights, peft, peftInit: init, trainMasks: false });

    const files = await exportPeftAdapter(model, { baseModel: 'my/base' });
    const out = mkdtempSync(join(tmpdir(), 'export-'));
    for (const f of files) writeFileSync(join(out, f.name), f.bytes);
    const exported = JSON.parse(readFileSync(join(out, 'adapter_config.json'), 'utf8'));
    expect(exported.modules_to_save).toEqual(['classifier']);
    expect(exported.base_model_name_or_path).toBe('my/base');
    if (peft.kind === 'lora') {
      const original = JSON.parse(readFileSync(join(dir, 'adapter', 'adapter_config.json'), 'utf8'));
      expect(exported).toMatchObject({ peft_type: 'LORA', r: original.r, lora_alpha: original.lora_alpha, target_modules: original.target_modules, rank_pattern: {}, alpha_pattern: {} });
      expect(exported.lora_dropout).toBe(original.lora_dropout);
    } else {
      expect(exported).toMatchObject({ peft_type: 'BOTTLENECK_ADAPTER', adapter_size: peft.size, adapter_act: peft.activation });
      expect(exported).toMatchObject({ adapter_dropout: peft.dropout, bias: 'none' });
      // Down and up projections only: the paper's adapters have no biases.
      const names = [...parseSafetensors(files[1].bytes, 'exported').tensors.keys()].filter((n) => n.includes('.adapter.'));
      expect(names.length).toBe(2 * model.peftModules().length);
      expect(names.every((n) => /\.adapter\.(down|up)\.weight$/.test(n))).toBe(true);
    }

    const reloaded = await readPeftDir(nodeDirReader(out));
    expect(reloaded.peft).toEqual(peft);
    const copy = await buildModel(ctx, { config, weights, peft: reloaded.peft, peftInit: reloaded.init, trainMasks: false, seed: 99 });
    expect(await logits(copy, name)).toEqual(await logits(model, name));

    const zip = unzipSync(zipFiles(files, 'adapter'));
    expect(Object.keys(zip).sort()).toEqual(['adapter/adapter_config.json', 'adapter/adapter_model.safetensors']);
    expect(zip['adapter/adapter_model.safetensors']).toEqual(files[1].bytes);
  });
});

describe('PEFT export of a pruned adapter', () => {
  it('writes rank_pattern/alpha_pattern and exact module names, and loads back the same model', async () => {
    const ctx = await gpuContext();
    const dir = join(FIXTURES, 'lora-awkward');
    const { config, weights } = await readModelDir(nodeDirReader(dir));
    // Layer 0's query has 2 ranks left, layer 1's value was removed, the rest keep 4.
    const modules = [0, 1, 2].flatMap((i) => ['attention.self.query', 'attention.self.value'].map((m) => `roberta.encoder.layer.${i}.${m}`)).filter((m) => m !== 'roberta.encoder.layer.1.attention.self.value');
    const model = await buildModel(ctx, {
      config,
      weights,
      peft: { kind: 'lora', rank: 4, alpha: 8, targets: ['query', 'value'], modules, rankPattern: { 'roberta.encoder.layer.0.attention.self.query': 2 }, alphaPattern: { 'roberta.encoder.layer.0.attention.self.query': 4 } },
      trainMasks: false,
      seed: 5,
    });
    for (const m of model.peftModules()) if (m.kind === 'lora') ctx.upload(m.B, Float32Array.from({ length: m.B.size }, (_, i) => Math.sin(i + m.rank)));
    expect(model.peftModules().map((m) => (m.kind === 'lora' ? [m.module, m.rank, m.scale] : null))).toContainEqual(['roberta.encoder.layer.0.attention.self.query', 2, 2]);

    const files = await exportPeftAdapter(model);
    const config2 = JSON.parse(new TextDecoder().decode(files[0].bytes));
    expect(config2.r).toBe(4);
    expect(config2.lora_alpha).toBe(8);
    expect(config2.rank_pattern).toEqual({ 'roberta.encoder.layer.0.attention.self.query': 2 });
    expect(config2.alpha_pattern).toEqual({ 'roberta.encoder.layer.0.attention.self.query': 4 });
    const pattern = new RegExp(`^(?:${config2.target_modules})$`);
    expect(pattern.test('roberta.encoder.layer.1.attention.self.value')).toBe(false);
    expect(pattern.test('roberta.encoder.layer.2.attention.self.value')).toBe(true);

    const out = mkdtempSync(join(tmpdir(), 'export-pruned-'));
    for (const f of files) writeFileSync(join(out, f.name), f.bytes);
    const reloaded = await readPeftDir(nodeDirReader(out));
    const copy = await buildModel(ctx, { config, weights, peft: reloaded.peft, peftInit: reloaded.init, trainMasks: false });
    expect(copy.peftModules().map((m) => m.module)).toEqual(model.peftModules().map((m) => m.module));
    expect(await logits(copy, 'lora-awkward')).toEqual(await logits(model, 'lora-awkward'));
  });
});
