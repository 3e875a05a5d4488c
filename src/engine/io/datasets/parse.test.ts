import { describe, expect, it } from 'vitest';
import { createDatasetStreamParser, datasetFormatOf, parseDatasetBytes, parseDatasetText, readDatasetStream, type DatasetProgress } from './parse';
import { CSV_QUOTED, expectBadInput, JSON_ARRAY, JSONL, MNLI_TSV, outcome, parseChunks, plain, SST2_TSV } from '../../../../test/dataset-samples';

const rowsWithLines = (text: string, file: string) => plain(parseDatasetText(text, file)).rows;

describe('formats', () => {
  it('reads GLUE SST-2 TSV with quoting off (unbalanced quotes stay in the text)', () => {
    const table = parseDatasetText(SST2_TSV, 'train.tsv');
    expect(table.format).toBe('tsv');
    expect(table.columns).toEqual(['sentence', 'label']);
    expect(table.rows).toHaveLength(4);
    expect(table.rows[3]).toEqual({ sentence: 'the film \'s " twist " is nothing new , but " it works ', label: '1' });
    expect(table.rows[0].sentence).toBe('hide new secretions from the parental units ');
    expect(table.rows.map((_, i) => table.lineOf(i))).toEqual([2, 3, 4, 5]);
  });

  it('reads MNLI-style TSV pairs with CRLF line ends', () => {
    const table = parseDatasetText(MNLI_TSV, 'dev_matched.tsv');
    expect(table.columns).toEqual(['index', 'promptID', 'pairID', 'genre', 'sentence1', 'sentence2', 'label1', 'gold_label']);
    expect(table.rows).toHaveLength(3);
    expect(table.rows[1].sentence1).toContain('database of " Government');
    expect(table.rows[2].gold_label).toBe('entailment');
    expect(Object.values(table.rows[0]).some((v) => String(v).includes('\r'))).toBe(false);
  });

  it('reads CSV with a BOM, CRLF, quoted commas, quoted line breaks, doubled quotes and blank lines', () => {
    const rows = rowsWithLines('\uFEFF' + CSV_QUOTED, 'data.csv');
    expect(rows).toEqual([
      { line: 2, text: 'hello, world', label: 'pos' },
      { line: 3, text: 'two\nlines, and "quotes"', label: 'neg' },
      { line: 6, text: 'plain', label: 'pos' },
    ]);
  });

  it('reads lone CR line ends and a file without a final line break', () => {
    expect(rowsWithLines('text,label\ra,1\rb,0', 'old-mac.csv')).toEqual([
      { line: 2, text: 'a', label: '1' },
      { line: 3, text: 'b', label: '0' },
    ]);
  });

  it('trims header names and names blank ones', () => {
    expect(parseDatasetText(' text , label,\na,1,\n', 'x.csv').columns).toEqual(['text', 'label', 'column_3']);
  });

  it('reads JSONL, skipping blank lines; keys missing from a row become null', () => {
    const table = parseDatasetText(JSONL, 'data.jsonl');
    expect(table.columns).toEqual(['text', 'label', 'extra']);
    expect(plain(table).rows).toEqual([
      { line: 1, text: 'good film', label: 'pos', extra: null },
      { line: 3, text: 'bad film', label: 'neg', extra: 3 },
      { line: 4, text: 'fine', label: 'pos', extra: null },
    ]);
  });

  it('reads a JSON array with the line each object starts on', () => {
    const table = parseDatasetText(JSON_ARRAY, 'data.json');
    expect(table.format).toBe('json');
    expect(plain(table).rows).toEqual([
      { line: 2, text: 'good film', label: 1 },
      { line: 3, text: 'bad [film]', label: 0 },
    ]);
  });

  it('reads {"data": [...]} and an object with a single array', () => {
    const text = '{"version": "1.0", "meta": {"data": [9]},\n "data": [\n {"text": "a", "label": true},\n {"text": "b", "label": false}]}';
    expect(plain(parseDatasetText(text, 'd.json')).rows).toEqual([
      { line: 3, text: 'a', label: true },
      { line: 4, text: 'b', label: false },
    ]);
    expect(plain(parseDatasetText('{"rows": [{"t": "x\\"]"}, {"t": "y"}]}', 'd.json')).rows).toEqual([
      { line: 1, t: 'x"]' },
      { line: 1, t: 'y' },
    ]);
  });

  it('reads a .json file that is really JSON Lines (the Hugging Face datasets default)', () => {
    const table = parseDatasetText(JSONL, 'train.json');
    expect(table.format).toBe('jsonl');
    expect(table.rows).toHaveLength(3);
  });

  it('keeps JSON objects/arrays in a cell as JSON text and records the column', () => {
    const table = parseDatasetText('{"text": "a", "label": {"name": "pos"}}\n{"text": "b", "label": ["neg"]}\n', 'x.jsonl');
    expect(table.rows[0].label).toBe('{"name":"pos"}');
    expect([...table.nestedColumns]).toEqual([['label', 1]]);
  });

  it('keeps __proto__ and constructor as ordinary columns', () => {
    const table = parseDatasetText('__proto__,constructor\na,b\n', 'x.csv');
    expect(table.rows[0].__proto__).toBe('a');
    expect(table.rows[0].constructor).toBe('b');
    const json = parseDatasetText('{"__proto__": "a", "text": "t"}\n{"text": "u"}\n', 'x.jsonl');
    expect(json.columns).toEqual(['__proto__', 'text']);
    expect(json.rows[1].__proto__).toBeNull();
  });

  it('picks the format from the extension, case-insensitively, through paths', () => {
    expect(datasetFormatOf('data/Train.CSV')).toBe('csv');
    expect(datasetFormatOf('C:\\glue\\SST-2\\dev.tsv')).toBe('tsv');
    expect(datasetFormatOf('x.ndjson')).toBe('jsonl');
    expect(datasetFormatOf('x.json')).toBe('json');
  });
});

describe('streaming', () => {
  const samples: [string, string][] = [
    [SST2_TSV, 'sst2.tsv'],
    [MNLI_TSV, 'mnli.tsv'],
    ['\uFEFF' + CSV_QUOTED, 'quoted.csv'],
    ['a,b\r\n"x" ,"y"  \r\n"p""q",r', 'spaces.csv'],
    [JSONL, 'data.jsonl'],
    ['\uFEFF' + JSON_ARRAY, 'data.json'],
    [JSONL, 'lines.json'],
    // Bad inputs must fail the same way however they are cut.
    ['text,label\n"never closed,1\nx,2\n', 'open-quote.csv'],
    ['text,label\n"ab"c,1\n', 'bad-quote.csv'],
    ['text,label\na,1\nb,2,3\n', 'fields.csv'],
    ['{"text": "a"}\r\n{"text": \n', 'broken.jsonl'],
    ['text\tlabel\r\na\t1\r\nb\u0000\t1', 'nul.tsv'],
    ['\uFEFF \r\n\r\n', 'blank.csv'],
  ];

  it.each(samples)('gives the same table or error for every cut into two chunks (%#: %s)', (text, file) => {
    const whole = outcome(() => parseDatasetText(text, file));
    for (let cut = 0; cut <= text.length; cut++) {
      expect(outcome(() => parseChunks([text.slice(0, cut), text.slice(cut)], file)), `cut at ${cut}`).toEqual(whole);
    }
    expect(outcome(() => parseChunks([...text], file)), 'one character per chunk').toEqual(whole);
    const threes = text.match(/[^]{1,3}/g) ?? [];
    expect(outcome(() => parseChunks(['', ...threes, ''], file)), 'three characters per chunk').toEqual(whole);
  });

  it('reports progress after every chunk', () => {
    const seen: DatasetProgress[] = [];
    const parser = createDatasetStreamParser('x.tsv', { onProgress: (p) => seen.push(p) });
    parser.push('sentence\tlabel\na\t0\n');
    parser.push('b\t1\nc');
    parser.push('\t1\n');
    parser.finish();
    expect(seen.map((p) => p.rows)).toEqual([1, 2, 3, 3]);
    expect(seen[2].chars).toBe(27);
  });

  it('repeats its first error on later calls', () => {
    const parser = createDatasetStreamParser('x.csv');
    expect(() => parser.push('a;b\n')).toThrow(/semicolon/);
    expect(() => parser.push('1;2\n')).toThrow(/semicolon/);
    expect(() => parser.finish()).toThrow(/semicolon/);
  });

  it('reads a byte stream, with characters split across chunks', async () => {
    const bytes = new TextEncoder().encode('\uFEFFtext,label\n"naïve — 日本語 😀",1\nb,0\n');
    const pieces = [bytes.slice(0, 5), bytes.slice(5, 19), bytes.slice(19, 20), bytes.slice(20, 33), bytes.slice(33)];
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const piece of pieces) controller.enqueue(piece);
        controller.close();
      },
    });
    const progress: DatasetProgress[] = [];
    const table = await readDatasetStream(stream, 'x.csv', { totalBytes: bytes.length, onProgress: (p) => progress.push(p) });
    expect(table.rows[0].text).toBe('naïve — 日本語 😀');
    expect(table.rows).toHaveLength(2);
    expect(progress.at(-1)).toMatchObject({ bytes: bytes.length, totalBytes: bytes.length, rows: 2 });
  });

  it('rejects invalid UTF-8 in a byte stream with its offset', async () => {
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('text,label\ncaf'));
        controller.enqueue(new Uint8Array([0xe9, 0x2c, 0x31, 0x0a]));
        controller.close();
      },
    });
    await expect(readDatasetStream(stream, 'latin1.csv')).rejects.toThrow('latin1.csv (byte 14, line 2): byte 0xE9 is not valid UTF-8');
  });

  // Found by test/fuzz-real-files.test.ts: the whole file named the invalid byte, a stream cut between the two named the NUL.
  it('reports the first problem of the file, a NUL before invalid UTF-8, whole and cut anywhere', async () => {
    const bytes = new Uint8Array([...new TextEncoder().encode('text,label\nok,pos\nbad\0'), 0xff, ...new TextEncoder().encode(',neg\n')]);
    const nul = 'x.csv (line 3): contains a NUL character, so it is a binary file or UTF-16 text, not UTF-8';
    expect(() => parseDatasetBytes(bytes, 'x.csv')).toThrow(nul);
    for (let cut = 0; cut <= bytes.length; cut++) {
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(bytes.slice(0, cut));
          controller.enqueue(bytes.slice(cut));
          controller.close();
        },
      });
      await expect(readDatasetStream(stream, 'x.csv'), `cut at ${cut}`).rejects.toThrow(nul);
    }
    // With nothing wrong before it, the invalid byte is reported, with its offset.
    bytes[21] = 0x78;
    expect(() => parseDatasetBytes(bytes, 'x.csv')).toThrow('x.csv (byte 22, line 3): byte 0xFF is not valid UTF-8');
  });
});

describe('bad input', () => {
  it('empty and whitespace-only files', () => {
    expectBadInput(() => parseDatasetText('', 'a.csv'), 'a.csv', null, /the file is empty; choose a file with a header line such as text,label/);
    expectBadInput(() => parseDatasetText('\uFEFF\n \r\n', 'a.tsv'), 'a.tsv', null, /the file is empty/);
    expectBadInput(() => parseDatasetText('  \n', 'a.jsonl'), 'a.jsonl', null, /the file is empty; choose a file with rows such as \{"text"/);
    expectBadInput(() => parseDatasetText('', 'a.json'), 'a.json', null, /the file is empty/);
  });

  it('a header and no rows', () => {
    expectBadInput(() => parseDatasetText('text,label\n\n', 'a.csv'), 'a.csv', null, /has a header line \(text,label\) but no data rows; add one row per example/);
    expectBadInput(() => parseDatasetText('[]', 'a.json'), 'a.json', null, /holds an empty array; add one object per example/);
    expectBadInput(() => parseDatasetText('{"data": []}', 'a.json'), 'a.json', null, /"data" is an empty array/);
  });

  it('a CSV that is really tab-, semicolon- or pipe-separated, and a TSV that is comma-separated', () => {
    expectBadInput(() => parseDatasetText('sentence\tlabel\nx\t1\n', 'sst2.csv'), 'sst2.csv', 'line 1', /single column that looks tab-separated: rename it to \.tsv/);
    expectBadInput(() => parseDatasetText('text;label\nx;1\n', 'excel.csv'), 'excel.csv', 'line 1', /looks semicolon-separated: save it again with commas/);
    expectBadInput(() => parseDatasetText('text|label\nx|1\n', 'p.csv'), 'p.csv', 'line 1', /pipe-separated/);
    expectBadInput(() => parseDatasetText('text,label\nx,1\n', 'c.tsv'), 'c.tsv', 'line 1', /looks comma-separated: rename it to \.csv/);
  });

  it('rows with another number of fields than the header name their line', () => {
    expectBadInput(() => parseDatasetText('text,label\na,1\n\nb, c,0\n', 'a.csv'), 'a.csv', 'line 4', /has 3 fields but the header \(line 1\) has 2; a text that contains commas must be in double quotes/);
    expectBadInput(() => parseDatasetText('text\tlabel\nonly\n', 'a.tsv'), 'a.tsv', 'line 2', /has 1 field but the header \(line 1\) has 2; a field must not contain a tab/);
  });

  it('broken CSV quoting names the line of the quote', () => {
    expectBadInput(() => parseDatasetText('text,label\na,1\n"runs\non,0\n', 'a.csv'), 'a.csv', 'line 3', /opens a quote \(".*never closes.*rename it to \.tsv/);
    expectBadInput(() => parseDatasetText('text,label\n"multi\nline",1\n"he said "hi"",0\n', 'a.csv'), 'a.csv', 'line 4', /goes on after its closing quote; put the whole field in double quotes/);
  });

  it('duplicate header names', () => {
    expectBadInput(() => parseDatasetText('text,label,text\na,1,b\n', 'a.csv'), 'a.csv', 'line 1', /names column "text" twice \(columns 1 and 3\); rename one/);
  });

  it('invalid JSON names its line', () => {
    expectBadInput(() => parseDatasetText('{"text": "a", "label": 1}\n\n{"text": "b", label: 0}\n', 'a.jsonl'), 'a.jsonl', 'line 3', /is not valid JSON \(.+\); each line must hold one complete JSON object/);
    expectBadInput(() => parseDatasetText('[\n {"text": "a"},\n {"text": "b",}\n]', 'a.json'), 'a.json', 'line 3', /is not valid JSON .*array of objects/);
    expectBadInput(() => parseDatasetText('[\n{"text": "a"}\n]', 'a.jsonl'), 'a.jsonl', 'line 1', /looks like one JSON array: rename it to \.json/);
  });

  it('JSON rows that are not objects', () => {
    expectBadInput(() => parseDatasetText('{"text": "a"}\n["b", 1]\n', 'a.jsonl'), 'a.jsonl', 'line 2', /the line is an array, not an object; each row must be an object such as/);
    expectBadInput(() => parseDatasetText('[{"text": "a"},\n "b"]', 'a.json'), 'a.json', 'line 2', /item 2 of the array is a string, not an object/);
    expectBadInput(() => parseDatasetText('42', 'a.json'), 'a.json', null, /holds a number, not a list of examples/);
    expectBadInput(() => parseDatasetText('{"text": ["a"], "label": [1]}', 'a.json'), 'a.json', null, /object of several arrays \("text", "label"\); write one object per example/);
  });

  it('NUL characters (binary or UTF-16 files)', () => {
    expectBadInput(() => parseDatasetText('text,label\na,1\nb\0,0\n', 'a.csv'), 'a.csv', 'line 3', /contains a NUL character.*save it as UTF-8/);
  });

  it('unsupported extensions', () => {
    expectBadInput(() => parseDatasetText('x', 'data.xlsx'), 'data.xlsx', null, /has "\.xlsx"; supported dataset files are \.csv, \.tsv, \.jsonl and \.json: export the sheet as "CSV UTF-8"/);
    expectBadInput(() => parseDatasetText('x', 'README'), 'README', null, /has no extension/);
    expectBadInput(() => parseDatasetText('x', 'notes.txt'), 'notes.txt', null, /rename it to \.tsv if it is tab-separated/);
  });

  it('checks the extension before the encoding', () => {
    expectBadInput(() => parseDatasetBytes(new Uint8Array([0x50, 0x4b, 0x03, 0x04, 0xff]), 'book.xlsx'), 'book.xlsx', null, /export the sheet/);
  });
});
