import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DirReader } from './dir-reader';
import { readTokenizerDir, readTokenizerFiles } from './tokenizer-dir';

const FIXTURE = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'tokenizer-tiny');

function folder(files: Record<string, Uint8Array>): DirReader {
  return {
    describe: (name) => `model/${name}`,
    read: async (name) => files[name] ?? null,
    open: async () => null,
  };
}
const fixture = (name: string) => new Uint8Array(readFileSync(join(FIXTURE, name)));

describe('readTokenizerDir', () => {
  it('loads vocab.json + merges.txt as the CLI and the app both read them', async () => {
    const tokenizer = await readTokenizerDir(folder({ 'vocab.json': fixture('vocab.json'), 'merges.txt': fixture('merges.txt'), 'tokenizer_config.json': fixture('tokenizer_config.json') }));
    expect(tokenizer.encodeText('hello').length).toBeGreaterThan(0);
  });

  it('rejects merges.txt that is not UTF-8, naming the file and the byte (no silent replacement characters)', async () => {
    const merges = fixture('merges.txt');
    const broken = new Uint8Array([...merges.subarray(0, 40), 0xe9, ...merges.subarray(40)]);
    await expect(readTokenizerDir(folder({ 'vocab.json': fixture('vocab.json'), 'merges.txt': broken }))).rejects.toThrow(/^model\/merges\.txt \(byte 40, line \d+\): /);
  });

  it('says the tokenizer is missing when the folder has none; the app gets null', async () => {
    await expect(readTokenizerDir(folder({}))).rejects.toThrow('model/tokenizer.json: is missing (and so is vocab.json + merges.txt); add the tokenizer files that came with the model');
    expect(await readTokenizerFiles(folder({}))).toBeNull();
  });
});
