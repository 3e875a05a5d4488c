import { describe, expect, it } from 'vitest';
import { fileDirReader } from './file-dir';

const file = (name: string, text: string) => new File([text], name.split('/').pop()!);
const picked = (path: string, text = path) => ({ path, file: file(path, text) });
const read = async (bytes: Uint8Array | null) => (bytes ? new TextDecoder().decode(bytes) : null);

describe('fileDirReader', () => {
  it('looks files up below the folder the user chose, and names them with it', async () => {
    const reader = fileDirReader([picked('my-model/config.json', '{}'), picked('my-model/model.safetensors', 'weights')]);
    expect(reader.folderName).toBe('my-model');
    expect(await read(await reader.read('config.json'))).toBe('{}');
    const source = await reader.open('model.safetensors');
    expect(source?.name).toBe('my-model/model.safetensors');
    expect(source?.size).toBe(7);
    expect(await read(await source!.read(2, 3))).toBe('igh');
    expect(reader.describe('config.json')).toBe('my-model/config.json');
    expect([...reader.used]).toEqual([
      ['my-model/config.json', 2],
      ['my-model/model.safetensors', 7],
    ]);
  });

  it('finds loose files by name, the shallowest first, and says null for a missing one', async () => {
    const reader = fileDirReader([picked('adapter/config.json', 'deep'), picked('config.json', 'top'), picked('tokenizer.json')]);
    expect(reader.folderName).toBeNull();
    expect(await read(await reader.read('config.json'))).toBe('top');
    expect(await read(await reader.read('adapter/config.json'))).toBe('deep');
    expect(await reader.read('vocab.json')).toBeNull();
    expect(await reader.open('model.safetensors')).toBeNull();
    expect(reader.describe('model.safetensors')).toBe('model.safetensors');
  });

  it('finds a file in a sub-folder of a dropped parent folder', async () => {
    const reader = fileDirReader([picked('models/roberta/config.json', 'x'), picked('models/readme.txt')]);
    expect(await read(await reader.read('config.json'))).toBe('x');
    expect(reader.describe('config.json')).toBe('models/roberta/config.json');
  });
});
