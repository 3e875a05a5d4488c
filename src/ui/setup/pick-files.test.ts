import { describe, expect, it } from 'vitest';
import { BadInputError } from '../../errors';
import { filesFromDrop, filesFromInput, splitDataFiles } from './pick-files';

const file = (name: string) => new File(['x'], name);
const names = (split: { train: File; validation: File | null }) => [split.train.name, split.validation?.name ?? null];

describe('splitDataFiles', () => {
  it('takes a single file as the training file', () => {
    expect(names(splitDataFiles([file('data.csv')]))).toEqual(['data.csv', null]);
  });

  it('recognises the validation file by its name, in either order', () => {
    expect(names(splitDataFiles([file('validation.csv'), file('train.csv')]))).toEqual(['train.csv', 'validation.csv']);
    expect(names(splitDataFiles([file('train.tsv'), file('dev.tsv')]))).toEqual(['train.tsv', 'dev.tsv']);
    expect(names(splitDataFiles([file('sst2_val.jsonl'), file('sst2_train.jsonl')]))).toEqual(['sst2_train.jsonl', 'sst2_val.jsonl']);
    expect(names(splitDataFiles([file('Test.csv'), file('Train.csv')]))).toEqual(['Train.csv', 'Test.csv']);
  });

  it('does not take words that merely contain a validation name', () => {
    // "contest", "devices", "interval" hold test/dev/val inside a word: the second file is validation.
    expect(names(splitDataFiles([file('devices.csv'), file('contest.csv')]))).toEqual(['devices.csv', 'contest.csv']);
    expect(names(splitDataFiles([file('contest.csv'), file('interval.csv')]))).toEqual(['contest.csv', 'interval.csv']);
  });

  it('says so when more than two files are dropped, naming them', () => {
    const drop = () => splitDataFiles([file('a.csv'), file('b.csv'), file('c.csv')]);
    expect(drop).toThrow(BadInputError);
    expect(drop).toThrow('a.csv, b.csv, c.csv: 3 files were dropped; drop one data file, or a training and a validation file');
  });
});

describe('filesFromInput', () => {
  it('keeps folder paths from a webkitdirectory input and plain names otherwise', () => {
    const inFolder = file('config.json');
    Object.defineProperty(inFolder, 'webkitRelativePath', { value: 'my-model/config.json' });
    const plain = file('model.safetensors');
    const input = { files: [inFolder, plain] } as unknown as HTMLInputElement;
    expect(filesFromInput(input).map((f) => f.path)).toEqual(['my-model/config.json', 'model.safetensors']);
  });
});

/** A fake of the browser's FileSystemEntry tree, handing out a folder's children in batches as Chromium does. */
function fileEntry(fullPath: string): FileSystemFileEntry {
  const name = fullPath.split('/').pop()!;
  return { isFile: true, isDirectory: false, fullPath, name, file: (resolve: (f: File) => void) => resolve(file(name)) } as unknown as FileSystemFileEntry;
}
function dirEntry(fullPath: string, children: FileSystemEntry[], batch = 2): FileSystemDirectoryEntry {
  return {
    isFile: false,
    isDirectory: true,
    fullPath,
    createReader: () => {
      let at = 0;
      return {
        readEntries: (resolve: (entries: FileSystemEntry[]) => void) => {
          resolve(children.slice(at, at + batch));
          at += batch;
        },
      };
    },
  } as unknown as FileSystemDirectoryEntry;
}
function transferOf(entries: FileSystemEntry[], files: File[] = []): DataTransfer {
  return { items: entries.map((entry) => ({ kind: 'file', webkitGetAsEntry: () => entry })), files } as unknown as DataTransfer;
}

describe('filesFromDrop', () => {
  it('walks a dropped folder, reading every batch of entries, with paths inside the folder', async () => {
    const folder = dirEntry('/model', [
      fileEntry('/model/config.json'),
      fileEntry('/model/tokenizer.json'),
      fileEntry('/model/model-00001-of-00002.safetensors'),
      fileEntry('/model/model-00002-of-00002.safetensors'),
      dirEntry('/model/sub', [fileEntry('/model/sub/notes.txt')]),
    ]);
    const picked = await filesFromDrop(transferOf([folder]));
    expect(picked.map((f) => f.path)).toEqual([
      'model/config.json',
      'model/tokenizer.json',
      'model/model-00001-of-00002.safetensors',
      'model/model-00002-of-00002.safetensors',
      'model/sub/notes.txt',
    ]);
    expect(picked.every((f) => f.file instanceof File)).toBe(true);
  });

  it('stops descending below four folder levels', async () => {
    let deepest: FileSystemEntry = fileEntry('/a/b/c/d/e/deep.txt');
    for (const path of ['/a/b/c/d/e', '/a/b/c/d', '/a/b/c', '/a/b']) deepest = dirEntry(path, [deepest]);
    const picked = await filesFromDrop(transferOf([dirEntry('/a', [fileEntry('/a/top.txt'), deepest])]));
    expect(picked.map((f) => f.path)).toEqual(['a/top.txt']);
  });

  it('falls back to the plain file list when the browser gives no entries', async () => {
    const transfer = { items: [], files: [file('train.csv')] } as unknown as DataTransfer;
    expect((await filesFromDrop(transfer)).map((f) => f.path)).toEqual(['train.csv']);
  });
});
