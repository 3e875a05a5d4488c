/** `light-peft grad` end to end: output vs the PyTorch fixtures, and one-line errors with exit code 2. */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync, copyFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expectClose } from './helpers';
import { cli } from './cli';
import { parseSafetensors, readTensorF32 } from '../src/engine/io/safetensors';

const FIXTURES = join(__dirname, 'fixtures');

function fixtureArgs(name: string, out: string): string[] {
  const dir = join(FIXTURES, name);
  const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8'));
  return [
    'grad',
    '--model', dir,
    '--batch', join(dir, 'batch.json'),
    '--adapter-init', join(dir, 'adapter'),
    '--masks', join(dir, 'masks.safetensors'),
    '--lambda-head', String(meta.lambda_head),
    '--lambda-ffn', String(meta.lambda_ffn),
    '--out', out,
  ];
}

describe('light-peft grad', () => {
  it.each(['lora-awkward', 'adapter'])('writes what PyTorch computes (%s)', async (name) => {
    const out = join(mkdtempSync(join(tmpdir(), 'grad-')), 'out.safetensors');
    const result = await cli(fixtureArgs(name, out));
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const got = parseSafetensors(readFileSync(out), out);
    const want = parseSafetensors(readFileSync(join(FIXTURES, name, 'expected.safetensors')), 'expected');
    const compared = [...want.tensors.keys()].filter((k) => /^(logits|loss|loss\.task|grad\..*|score\..*)$/.test(k));
    expect([...got.tensors.keys()].sort()).toEqual(compared.sort());
    for (const key of compared) {
      expect(got.tensors.get(key)!.shape, key).toEqual(want.tensors.get(key)!.shape);
      expectClose(readTensorF32(got, key).data, readTensorF32(want, key).data, 1e-4, key);
    }
  });

  it('gives a one-line usage error and exit code 2 for a missing option', async () => {
    const r = await cli(['grad', '--batch', 'x.json', '--out', 'y']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe('light-peft: grad: --model is required');
  });

  it('names the missing file', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'nomodel-'));
    const r = await cli(['grad', '--model', empty, '--batch', 'b.json', '--out', 'o']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(`light-peft: ${join(empty, 'config.json')}: is missing`);
  });

  it('names the tensor of a corrupt safetensors file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'corrupt-'));
    const src = join(FIXTURES, 'lora-awkward');
    copyFileSync(join(src, 'config.json'), join(dir, 'config.json'));
    const bytes = readFileSync(join(src, 'model.safetensors'));
    writeFileSync(join(dir, 'model.safetensors'), bytes.subarray(0, bytes.length - 100)); // truncated
    const r = await cli(['grad', '--model', dir, '--batch', join(src, 'batch.json'), '--out', join(dir, 'o')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/model\.safetensors \(tensor .+\): data ends at byte \d+ but the file has \d+ bytes; the file is truncated/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('names the batch position of an out-of-vocabulary token', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'badbatch-'));
    const src = join(FIXTURES, 'lora-awkward');
    const batch = JSON.parse(readFileSync(join(src, 'batch.json'), 'utf8'));
    batch.input_ids[1][2] = 5000;
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'batch.json'), JSON.stringify(batch));
    const r = await cli(['grad', '--model', src, '--batch', join(dir, 'batch.json'), '--out', join(dir, 'o')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('batch.json (input_ids[1][2]): token id 5000 is outside the vocabulary [0, 97)');
  });

  it('rejects an unknown LoRA target with the valid list', async () => {
    const src = join(FIXTURES, 'lora-awkward');
    const r = await cli(['grad', '--model', src, '--batch', join(src, 'batch.json'), '--out', '/tmp/x', '--lora-targets', 'query,dense']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(
      'light-peft: grad: --lora-targets: unknown LoRA target "dense"; valid targets: query, key, value, attention.output.dense, intermediate.dense, output.dense',
    );
  });
});
