/**
 * Fuzzing with random corruption of the real files the app ships: the demo model's safetensors,
 * config.json, tokenizer.json and tokenizer_config.json (public/demo/model), and rows of the demo
 * CSV (public/demo/data) also written as TSV and JSONL. Corruptions: byte flips, truncation,
 * insertions, deletions, duplicated ranges and a tampered safetensors header length
 * (test/fuzz-corrupt.ts). Property: every parse returns a well-formed result or throws a
 * BadInputError naming the file, never another exception, within a time bound; and where the format
 * lets us tell, a corrupt file is never read as a different valid one (a safetensors file whose
 * length or layout changed is always refused; a dataset parsed in chunks agrees with the whole).
 *
 * Quick for CI: bounded runs with a fixed seed (FUZZ_SEED, FUZZ_RUNS to explore more locally).
 */
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BadInputError } from '../src/errors';
import { bytesSource } from '../src/engine/io/byte-source';
import type { DirReader } from '../src/engine/io/dir-reader';
import { openSafetensors, parseSafetensors, readTensorF32, type SafetensorsFile } from '../src/engine/io/safetensors';
import { checkTokenizerFitsModel, type TextTokenizer } from '../src/engine/io/tokenizer';
import { readTokenizerDir } from '../src/engine/io/tokenizer-dir';
import { buildExamples, guessColumns, parseDatasetBytes, readDatasetStream, type RawTable } from '../src/engine/io/datasets';
import { readModelDir } from '../src/engine/model/model-dir';
import type { ModelConfig } from '../src/engine/model/config';
import { changesLayout, corrupt, corruption, flipped, runs, timed, timedAsync, withCorrupted } from './fuzz-corrupt';

const ROOT = join(__dirname, '..');
const demo = (...path: string[]) => new Uint8Array(readFileSync(join(ROOT, 'public/demo', ...path)));
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
/** Per parse; far above the few milliseconds each takes, but a stall or a super-linear parse fails here, with its input. */
const PARSE_MS = 3000;

/** A BadInputError whose message starts with the file it names; anything else thrown fails the property. */
function badInputOf(e: unknown, file: string): BadInputError {
  if (!(e instanceof BadInputError)) throw e;
  expect(e.file).toBe(file);
  expect(e.message.startsWith(file)).toBe(true);
  return e;
}

/** A model folder in memory; `files` maps a name to its bytes. */
function memoryDir(files: Record<string, Uint8Array>): DirReader {
  const get = (name: string) => (Object.hasOwn(files, name) ? files[name] : null);
  return {
    describe: (name) => `demo/model/${name}`,
    read: async (name) => get(name),
    open: async (name) => {
      const bytes = get(name);
      return bytes && bytesSource(bytes, `demo/model/${name}`);
    },
  };
}

// ---- safetensors ------------------------------------------------------------------------------

const ST = 'model.safetensors';
const modelBytes = demo('model', ST);
const headerLength = Number(new DataView(modelBytes.buffer, modelBytes.byteOffset).getBigUint64(0, true));
const dataStart = 8 + headerLength;
const DTYPE_BYTES: Record<string, number> = { F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4 };

/** The header as plain data (names, dtypes, shapes, absolute ranges; metadata), for comparisons. */
function layout(st: SafetensorsFile) {
  return { tensors: [...st.tensors].map(([name, t]) => [name, t.dtype, t.shape.join('x'), t.begin, t.end].join(' ')).sort(), metadata: { ...st.metadata } };
}
const original = layout(parseSafetensors(modelBytes, ST));

/**
 * A parsed file is well formed, checked independently of the reader: its ranges, sorted, tile the
 * data section from its start to the end of the file, each as long as its dtype and shape need,
 * and tensors read back with as many values as their shape has.
 */
function expectWellFormed(st: SafetensorsFile & { bytes: Uint8Array }, pick: number): void {
  const bytes = st.bytes;
  const start = 8 + Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const infos = [...st.tensors.values()].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = start;
  for (const t of infos) {
    expect(t.begin).toBe(at);
    expect(t.end - t.begin).toBe(DTYPE_BYTES[t.dtype] * t.shape.reduce((a, b) => a * b, 1));
    at = t.end;
  }
  expect(at).toBe(bytes.length);
  for (const value of Object.values(st.metadata)) expect(typeof value).toBe('string');
  const names = [...st.tensors.keys()];
  // Two tensors, not all 69: each run should cost milliseconds.
  for (const name of new Set([names[names.length - 1], names[pick % names.length]])) {
    if (name === undefined) continue;
    const { data, shape } = readTensorF32(st, name);
    expect(data.length).toBe(shape.reduce((a, b) => a * b, 1));
  }
}

/** The parse's outcome, through the in-memory reader and (compared) the streaming one. */
async function safetensorsOutcome(bytes: Uint8Array, pick: number): Promise<{ layout: ReturnType<typeof layout> } | { error: string }> {
  let whole: { layout: ReturnType<typeof layout> } | { error: string };
  try {
    const st = timed(PARSE_MS, () => parseSafetensors(bytes, ST));
    expectWellFormed(st, pick);
    whole = { layout: layout(st) };
  } catch (e) {
    whole = { error: badInputOf(e, ST).message };
  }
  let streamed: typeof whole;
  try {
    streamed = { layout: layout(await timedAsync(PARSE_MS, () => openSafetensors(bytesSource(bytes, ST)))) };
  } catch (e) {
    streamed = { error: badInputOf(e, ST).message };
  }
  expect(streamed).toEqual(whole);
  return whole;
}

/** Positions of the digits of numbers (shapes, data_offsets) in the header: outside strings. */
const headerText = text(modelBytes.subarray(8, dataStart));
const numberDigits: number[] = [];
for (let i = 0, inString = false; i < headerText.length; i++) {
  const c = headerText[i];
  if (inString) {
    if (c === '\\') i++;
    else if (c === '"') inString = false;
  } else if (c === '"') inString = true;
  else if (c >= '0' && c <= '9') numberDigits.push(8 + i); // the header is ASCII: characters are bytes
}

describe('the demo model.safetensors, corrupted', () => {
  it('loads as it is', async () => {
    expect(await safetensorsOutcome(modelBytes, 0)).toEqual({ layout: original });
    expect(original.tensors.length).toBeGreaterThan(50);
    expect(numberDigits.length).toBeGreaterThan(500);
  });

  it('parses or throws a BadInputError; a changed length or header length is always refused; data flips keep the layout', async () => {
    const seen = new Set<string>();
    await fc.assert(
      fc.asyncProperty(corruption(modelBytes.length, { hot: dataStart + 64, headerLength: BigInt(headerLength) }), fc.nat(), async (c, pick) => {
        const outcome = await withCorrupted(modelBytes, c, (bytes) => safetensorsOutcome(bytes, pick));
        seen.add(`${c.kind} ${'error' in outcome ? 'refused' : 'read'}`);
        // The tiling rule ties the header to the file's length: no byte can appear, vanish or move unnoticed.
        if (changesLayout(modelBytes, c)) expect(outcome).toHaveProperty('error');
        // Flips in the data section leave the header, so the layout, as it was (the format has no checksum for values).
        if (c.kind === 'flip' && flipped(modelBytes, c).every((at) => at >= dataStart)) expect(outcome).toEqual({ layout: original });
      }),
      runs(120),
    );
    // Every kind of corruption was tried, and flips both refused (header) and read (data).
    expect([...seen].map((s) => s.split(' ')[0])).toEqual(expect.arrayContaining(['flip', 'truncate', 'insert', 'delete', 'duplicate', 'headerLength']));
    expect(seen).toContain('flip read');
    expect(seen).toContain('flip refused');
  });

  it('a changed digit in any shape or data_offsets is always refused', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(numberDigits.length - 1), fc.integer({ min: 1, max: 9 }), fc.nat(), async (which, delta, pick) => {
        const at = numberDigits[which];
        const digit = 0x30 + ((modelBytes[at] - 0x30 + delta) % 10);
        const outcome = await withCorrupted(modelBytes, { kind: 'flip', flips: [{ at, mask: modelBytes[at] ^ digit }] }, (bytes) => safetensorsOutcome(bytes, pick));
        expect(outcome).toHaveProperty('error');
      }),
      runs(80),
    );
  });
});

// ---- config.json and tokenizer files -----------------------------------------------------------

const modelFiles = {
  'config.json': demo('model', 'config.json'),
  'model.safetensors': modelBytes,
  'tokenizer.json': demo('model', 'tokenizer.json'),
  'tokenizer_config.json': demo('model', 'tokenizer_config.json'),
};
type ModelFile = keyof typeof modelFiles;

function expectConfig(config: ModelConfig): void {
  for (const key of ['vocabSize', 'hidden', 'layers', 'heads', 'intermediate', 'maxPositions', 'typeVocabSize', 'padTokenId'] as const) {
    expect(Number.isSafeInteger(config[key]) && config[key] >= 0, key).toBe(true);
  }
  expect(config.headDim * config.heads).toBe(config.hidden);
  expect(config.id2label.length).toBe(config.numLabels);
  for (const label of config.id2label) expect(typeof label).toBe('string');
}

const SAMPLES = ['Subject: meeting at 10am', 'Wanna see? click here =) http://www.example.com', 'naïve café — 😀 日本語', ''];

function expectTokenizer(tokenizer: TextTokenizer): void {
  expect(Number.isSafeInteger(tokenizer.vocabSize) && tokenizer.vocabSize > 0).toBe(true);
  const { inputIds, attentionMask } = tokenizer.encodeBatch(SAMPLES, null, 24);
  expect(inputIds.length).toBe(SAMPLES.length);
  for (let row = 0; row < inputIds.length; row++) {
    expect(inputIds[row].length).toBeLessThanOrEqual(24);
    expect(attentionMask[row].length).toBe(inputIds[row].length);
    for (const id of inputIds[row]) expect(Number.isInteger(id) && id >= 0 && id < tokenizer.vocabSize, `id ${id}`).toBe(true);
  }
  tokenizer.decode(inputIds[0]);
  // The model's embedding table has 8000 rows: a tokenizer with more ids is refused, not used.
  try {
    checkTokenizerFitsModel(tokenizer, { vocabSize: 8000 });
  } catch (e) {
    badInputOf(e, tokenizer.source);
  }
}

describe('the demo model folder with one file corrupted', () => {
  it('loads as it is', async () => {
    expectConfig((await readModelDir(memoryDir(modelFiles))).config);
    expectTokenizer(await readTokenizerDir(memoryDir(modelFiles)));
  });

  const cases: Array<[ModelFile, number, (dir: DirReader) => Promise<void>]> = [
    ['config.json', 120, async (dir) => expectConfig((await readModelDir(dir)).config)],
    ['tokenizer.json', 25, async (dir) => expectTokenizer(await readTokenizerDir(dir))],
    ['tokenizer_config.json', 60, async (dir) => expectTokenizer(await readTokenizerDir(dir))],
  ];
  for (const [file, numRuns, load] of cases) {
    it(`${file}: loads well formed or throws a BadInputError naming it`, async () => {
      const outcomes = new Set<string>();
      await fc.assert(
        fc.asyncProperty(corruption(modelFiles[file].length), async (c) => {
          const dir = memoryDir({ ...modelFiles, [file]: corrupt(modelFiles[file], c) });
          try {
            await timedAsync(PARSE_MS, () => load(dir));
            outcomes.add('loaded');
          } catch (e) {
            badInputOf(e, `demo/model/${file}`);
            outcomes.add('refused');
          }
        }),
        runs(numRuns),
      );
      // Both ends are reached: some corruptions still load (a changed label name), most are refused.
      expect([...outcomes].sort()).toEqual(['loaded', 'refused']);
    });
  }
});

// ---- the demo dataset, as CSV, TSV and JSONL --------------------------------------------------

/** The first 40 rows of the demo's validation.csv, as the file has them (quoted, multi-line texts). */
const csvBytes = (() => {
  const whole = demo('data', 'validation.csv');
  const table = parseDatasetBytes(whole, 'validation.csv');
  const lines = text(whole).split('\n');
  return new TextEncoder().encode(`${lines.slice(0, table.lineOf(40) - 1).join('\n')}\n`);
})();
const rows = parseDatasetBytes(csvBytes, 'demo.csv').rows;
const tsvBytes = new TextEncoder().encode(['text\tlabel', ...rows.map((r) => `${String(r.text).replace(/[\t\n]/g, ' ')}\t${String(r.label)}`)].join('\n'));
const jsonlBytes = new TextEncoder().encode(rows.map((r) => JSON.stringify({ text: r.text, label: r.label })).join('\n'));

/** The bytes as a stream of random-sized chunks (split anywhere, inside a UTF-8 character too). */
function chunked(bytes: Uint8Array, cuts: number[]): ReadableStream<Uint8Array> {
  const ends = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b).concat(bytes.length);
  let i = 0;
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (i === ends.length) return controller.close();
      controller.enqueue(bytes.slice(at, ends[i]));
      at = ends[i++];
    },
  });
}

function plainTable(table: RawTable) {
  return { columns: table.columns, rows: table.rows.map((row, i) => ({ line: table.lineOf(i), ...row })) };
}

describe('the demo dataset, corrupted', () => {
  const files: Array<[string, Uint8Array]> = [
    ['demo.csv', csvBytes],
    ['demo.tsv', tsvBytes],
    ['demo.jsonl', jsonlBytes],
  ];
  for (const [file, bytes] of files) {
    it(`${file}: whole and streamed parses agree; examples build or a BadInputError names the file`, async () => {
      // The uncorrupted file is a usable dataset.
      expect(buildExamples(parseDatasetBytes(bytes, file), guessColumns(parseDatasetBytes(bytes, file))).examples.length).toBe(40);
      const outcomes = new Set<string>();
      await fc.assert(
        fc.asyncProperty(corruption(bytes.length), fc.array(fc.nat(), { maxLength: 6 }), async (c, cuts) => {
          const broken = corrupt(bytes, c);
          let whole: { table: ReturnType<typeof plainTable> } | { error: string };
          let table: RawTable | null = null;
          try {
            table = timed(PARSE_MS, () => parseDatasetBytes(broken, file));
            whole = { table: plainTable(table) };
          } catch (e) {
            whole = { error: badInputOf(e, file).message };
          }
          let streamed: typeof whole;
          try {
            streamed = { table: plainTable(await timedAsync(PARSE_MS, () => readDatasetStream(chunked(broken, cuts), file))) };
          } catch (e) {
            streamed = { error: badInputOf(e, file).message };
          }
          expect(streamed).toEqual(whole);
          if (!table) {
            outcomes.add('refused');
            return;
          }
          try {
            const built = timed(PARSE_MS, () => buildExamples(table, guessColumns(table)));
            for (const example of built.examples) {
              expect(typeof example.text).toBe('string');
              expect(Number.isInteger(example.label) && example.label >= 0 && example.label < built.id2label.length).toBe(true);
            }
            outcomes.add('built');
          } catch (e) {
            badInputOf(e, file);
            outcomes.add('refused');
          }
        }),
        runs(60),
      );
      expect([...outcomes].sort()).toEqual(['built', 'refused']);
    });
  }
});
