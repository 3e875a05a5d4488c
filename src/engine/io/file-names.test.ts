import { describe, expect, it } from 'vitest';
import { isPlainRepoPath, isShardFileName } from './file-names';

describe('file names inside a model repository', () => {
  it('accepts plain relative paths and shard names as transformers writes them', () => {
    for (const name of ['config.json', 'tokenizer.json', 'onnx/config.json', 'model-00001-of-00002.safetensors', 'a_b.C-1.txt', '..safetensors.json']) expect(isPlainRepoPath(name), name).toBe(true);
    for (const name of ['model.safetensors', 'model-00001-of-00002.safetensors', 'x.y.safetensors']) expect(isShardFileName(name), name).toBe(true);
  });

  it("refuses '..', '.', absolute paths, empty parts, URL and path specials, non-ASCII and over-long names", () => {
    const bad = ['', '.', '..', '../x.json', 'a/../x.json', 'a/./x.json', '/etc/x.json', 'a//x.json', 'a/', 'a\\x.json', 'C:x.json', 'http:evil.json', 'https://evil.com/x.json', 'x?.json', 'x#.json', '%2e%2e/x.json', 'a%2fb.json', 'a b.json', 'ü.json', 'a\u0000.json', 'a\n.json', `${'x'.repeat(251)}.json`];
    for (const name of bad) expect(isPlainRepoPath(name), name).toBe(false);
    for (const name of ['sub/model.safetensors', '.safetensors', 'model.bin', 'model.safetensors.json', 'http:evil.safetensors', '%2e%2e.safetensors', '../model.safetensors', '/model.safetensors', 'a\\model.safetensors', 'x?.safetensors', 'x#.safetensors', 'ü.safetensors']) expect(isShardFileName(name), name).toBe(false);
  });
});
