/**
 * `light-peft train` on broken inputs: each must exit 2 with one line on stderr (no stack trace)
 * that names the file, the line or tensor where there is one, and the problem. Nearly all fail
 * while reading the inputs, before a GPU is acquired, so the table runs in seconds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeFruitExamples, randomWeightTensors } from './synthetic';
import { cli } from './cli';
import { parseModelConfig } from '../src/engine/model/config';
import { writeSafetensors } from '../src/engine/io/safetensors';

const TOKENIZER = join(__dirname, 'fixtures', 'tokenizer-tiny');
const work = mkdtempSync(join(tmpdir(), 'cli-bad-input-'));
const goodModel = join(work, 'model');
const goodData = join(work, 'good.csv');

function makeTinyModel(dir: string): void {
  mkdirSync(dir);
  const tokenizer = JSON.parse(readFileSync(join(TOKENIZER, 'tokenizer.json'), 'utf8'));
  const vocab = Object.keys(tokenizer.model.vocab).length + tokenizer.added_tokens.filter((t: { content: string }) => !(t.content in tokenizer.model.vocab)).length;
  const config = { model_type: 'roberta', vocab_size: vocab, hidden_size: 32, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 64, max_position_embeddings: 40 };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  writeFileSync(join(dir, 'model.safetensors'), writeSafetensors(randomWeightTensors(parseModelConfig(config))));
  for (const f of ['tokenizer.json', 'tokenizer_config.json']) copyFileSync(join(TOKENIZER, f), join(dir, f));
}

/** A copy of the tiny model, changed by `edit`. */
function modelCopy(name: string, edit: (dir: string) => void): string {
  const dir = join(work, name);
  cpSync(goodModel, dir, { recursive: true });
  edit(dir);
  return dir;
}

/** Rewrites a safetensors header in place: same length (padded with spaces), data untouched. */
function editHeader(file: string, edit: (header: Record<string, { dtype: string; shape: number[] }>) => void): void {
  const bytes = readFileSync(file);
  const length = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + length).toString('utf8'));
  edit(header);
  const json = JSON.stringify(header);
  if (json.length > length) throw new Error('editHeader: the edited header is longer than the original');
  bytes.write(json.padEnd(length, ' '), 8, 'utf8');
  writeFileSync(file, bytes);
}

function editJson(file: string, edit: (json: Record<string, unknown>) => void): void {
  const json = JSON.parse(readFileSync(file, 'utf8'));
  edit(json);
  writeFileSync(file, JSON.stringify(json));
}

function dataFile(name: string, content: string | Buffer): string {
  const path = join(work, name);
  writeFileSync(path, content);
  return path;
}

const rows = (n: number, label: (i: number) => string) => Array.from({ length: n }, (_, i) => `sentence number ${i},${label(i)}`).join('\n');

interface Case {
  name: string;
  /** --model and --data (default: the good ones). */
  input: () => { model?: string; data?: string };
  /** The path the message must start with. */
  file: () => string;
  /** Where in the file, as the message puts it in parentheses (a line, a tensor, a column). */
  where?: RegExp;
  why: RegExp;
}

const CASES: Case[] = [
  {
    name: 'an empty data file',
    input: () => ({ data: dataFile('empty.csv', '') }),
    file: () => join(work, 'empty.csv'),
    why: /the file is empty; choose a file with a header line such as text,label/,
  },
  {
    name: 'a semicolon-separated CSV (no text column)',
    input: () => ({ data: dataFile('semicolons.csv', `text;label\n${rows(10, (i) => String(i % 2)).replace(/,/g, ';')}\n`) }),
    file: () => join(work, 'semicolons.csv'),
    where: /line 1/,
    why: /single column that looks semicolon-separated: save it again with commas/,
  },
  {
    name: 'one label class',
    input: () => ({ data: dataFile('one-class.csv', `text,label\n${rows(20, () => 'pos')}\n`) }),
    file: () => join(work, 'one-class.csv'),
    where: /column "label"/,
    why: /has only one class \("pos" on all 20 rows\); a classifier needs at least 2 classes/,
  },
  {
    name: 'more than 100 classes',
    input: () => ({ data: dataFile('many-classes.csv', `text,label\n${rows(150, (i) => `class${i}`)}\n`) }),
    file: () => join(work, 'many-classes.csv'),
    where: /column "label"/,
    why: /has 150 distinct values .*more than the 100 classes allowed; .*choose another label column/,
  },
  {
    name: 'blank texts on most rows',
    input: () => ({ data: dataFile('blank-texts.csv', 'text,label\n,pos\n  ,neg\nfine,pos\n') }),
    file: () => join(work, 'blank-texts.csv'),
    where: /column "text"/,
    why: /2 of 3 rows have a blank text; is "text" the right column\?/,
  },
  {
    name: 'invalid UTF-8 (a Latin-1 é)',
    input: () => ({ data: dataFile('latin1.csv', Buffer.concat([Buffer.from(`text,label\n${rows(4, (i) => String(i % 2))}\ncaf`), Buffer.from([0xe9]), Buffer.from(' au lait,1\n')])) }),
    file: () => join(work, 'latin1.csv'),
    where: /byte \d+, line 6/,
    why: /byte 0xE9 is not valid UTF-8; .*save the file as UTF-8/,
  },
  {
    name: 'a data path that is a folder',
    input: () => {
      mkdirSync(join(work, 'data-folder.csv'), { recursive: true });
      return { data: join(work, 'data-folder.csv') };
    },
    file: () => join(work, 'data-folder.csv'),
    why: /is a folder, not a file; pass the dataset file itself/,
  },
  {
    name: 'a data file that does not exist',
    input: () => ({ data: join(work, 'missing.csv') }),
    file: () => join(work, 'missing.csv'),
    why: /does not exist; check the path/,
  },
  {
    name: 'a model folder path that is a file (ENOTDIR)',
    input: () => ({ model: goodData }),
    file: () => goodData,
    why: /is not a folder; pass the folder that holds config\.json and the weights/,
  },
  {
    name: 'safetensors with a header length past the end of the file',
    input: () => ({
      model: modelCopy('bad-header-length', (dir) => {
        const bytes = readFileSync(join(dir, 'model.safetensors'));
        bytes.writeBigUInt64LE(1n << 40n, 0);
        writeFileSync(join(dir, 'model.safetensors'), bytes);
      }),
    }),
    file: () => join(work, 'bad-header-length', 'model.safetensors'),
    why: /declares a 1099511627776-byte header \(1099511627784 bytes with its length\) but the file has \d+ bytes; the file is truncated or not safetensors/,
  },
  {
    name: 'safetensors whose header is not JSON',
    input: () => ({
      model: modelCopy('bad-header-json', (dir) => {
        const bytes = readFileSync(join(dir, 'model.safetensors'));
        bytes[8] = 0x21; // '{' → '!'
        writeFileSync(join(dir, 'model.safetensors'), bytes);
      }),
    }),
    file: () => join(work, 'bad-header-json', 'model.safetensors'),
    why: /its header is not valid JSON \(.*\); the file is corrupt/,
  },
  {
    name: 'an unknown dtype',
    input: () => ({ model: modelCopy('bad-dtype', (dir) => editHeader(join(dir, 'model.safetensors'), (h) => (h['roberta.embeddings.word_embeddings.weight'].dtype = 'F8'))) }),
    file: () => join(work, 'bad-dtype', 'model.safetensors'),
    where: /tensor roberta\.embeddings\.word_embeddings\.weight/,
    why: /unsupported dtype "F8"; supported: F32, F16, BF16/,
  },
  {
    // The one case that gets as far as the GPU: shapes are checked as the weights are uploaded.
    name: 'a tensor whose shape disagrees with config.json',
    input: () => ({ model: modelCopy('bad-shape', (dir) => editHeader(join(dir, 'model.safetensors'), (h) => h['roberta.encoder.layer.1.intermediate.dense.weight'].shape.reverse())) }),
    file: () => join(work, 'bad-shape', 'model.safetensors'),
    where: /tensor roberta\.encoder\.layer\.1\.intermediate\.dense\.weight/,
    why: /has shape \[32,64\] but config\.json implies \[64,32\]/,
  },
  {
    name: 'config.json with model_type "bert"',
    input: () => ({ model: modelCopy('bert', (dir) => editJson(join(dir, 'config.json'), (c) => (c.model_type = 'bert'))) }),
    file: () => join(work, 'bert', 'config.json'),
    why: /unsupported model type "bert"; supported: roberta, xlm-roberta, camembert; use a RoBERTa-family checkpoint/,
  },
  {
    name: 'a tokenizer with more tokens than config vocab_size',
    input: () => ({ model: modelCopy('small-vocab', (dir) => editJson(join(dir, 'config.json'), (c) => (c.vocab_size = 100))) }),
    file: () => join(work, 'small-vocab', 'tokenizer.json'),
    why: /has \d+ tokens but config\.json's vocab_size is 100; use the tokenizer that came with the model/,
  },
  {
    name: 'model.safetensors.index.json whose weight_map is not an object',
    input: () => ({
      model: modelCopy('bad-index', (dir) => {
        renameSync(join(dir, 'model.safetensors'), join(dir, 'model-00001-of-00001.safetensors'));
        writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: ['model-00001-of-00001.safetensors'] }));
      }),
    }),
    file: () => join(work, 'bad-index', 'model.safetensors.index.json'),
    why: /has no "weight_map" object; it should map each tensor to its shard file/,
  },
];

describe('light-peft train on bad input', () => {
  beforeAll(() => {
    makeTinyModel(goodModel);
    const examples = makeFruitExamples(20, 1).map((e) => `${e.text},${e.label ? 'fruit' : 'plain'}`);
    writeFileSync(goodData, `text,label\n${examples.join('\n')}\n`);
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it.each(CASES)('$name: exit 2, one line naming the file and the problem', async ({ input, file, where, why }) => {
    const { model = goodModel, data = goodData } = input();
    const r = await cli(['train', '--model', model, '--data', data, '--steps', '1', '--batch-size', '4', '--max-length', '16', '--out', join(work, 'out')]);
    expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
    expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
    expect(r.code, r.stderr).toBe(2);
    const line = r.stderr.trim();
    expect(line.startsWith(`light-peft: ${file()}`), line).toBe(true);
    const rest = line.slice(`light-peft: ${file()}`.length);
    if (where) expect(rest).toMatch(new RegExp(`^ \\(${where.source}\\): `));
    else expect(rest).toMatch(/^: /);
    expect(rest).toMatch(why);
    expect(r.stdout).toBe('');
    if (process.env.SHOW_MESSAGES) console.log(line);
  });

  it('skips a single blank text row with a warning naming the file and line, not an error', async () => {
    const examples = makeFruitExamples(20, 2).map((e) => `${e.text},${e.label ? 'fruit' : 'plain'}`);
    const data = dataFile('one-blank.csv', `text,label\n${examples.slice(0, 5).join('\n')}\n  ,fruit\n${examples.slice(5).join('\n')}\n`);
    // --batch-size 0 stops the run right after the data is read, before a GPU is needed.
    const r = await cli(['train', '--model', goodModel, '--data', data, '--batch-size', '0', '--out', join(work, 'out')]);
    const lines = r.stderr.trim().split('\n');
    expect(lines[0]).toBe(`warning: ${data}: skipped 1 rows (first: line 7, blank text in column "text")`);
    expect(lines.slice(1)).toEqual([expect.stringMatching(/^light-peft: .*--batch-size/)]);
    expect(r.code).toBe(2);
  });

  it('refuses an --on-nan policy it does not know, naming the two it does', async () => {
    const r = await cli(['train', '--model', goodModel, '--data', goodData, '--on-nan', 'skip', '--out', join(work, 'out')]);
    expect(r.stderr.trim()).toBe('light-peft: train: --on-nan must be stop or rollback, not "skip"');
    expect(r.code).toBe(2);
  });
});
