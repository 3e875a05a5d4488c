/** The CLI's dataset reader: a streamed file parses exactly like the whole file, progress only for big files, file errors in words. */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readDatasetFile } from './data';
import type { ProgressSink } from './data-progress';
import { BadInputError } from '../errors';
import { buildExamples, parseDatasetBytes } from '../engine/io/datasets';
import { plain, outcome } from '../../test/dataset-samples';
import { mulberry32 } from '../engine/random';

const WORDS = ['plain', 'words', 'with, commas', 'a "quote"', 'two\nlines', 'café', 'naïve', '日本語', '😀 emoji', 'tab\there'];

/** A CSV of about `bytes` bytes, CRLF line ends, with quoting, line breaks and multi-byte characters throughout (chunk edges land anywhere). */
function bigCsv(bytes: number, seed: number): string {
  const r = mulberry32(seed);
  const parts = ['text,label\r\n'];
  let size = parts[0].length;
  while (size < bytes) {
    const text = Array.from({ length: 3 + Math.floor(r() * 12) }, () => WORDS[Math.floor(r() * WORDS.length)]).join(' ');
    const row = `"${text.replace(/"/g, '""').replace(/\n/g, '\r\n')}",${['pos', 'neg', 'mixed'][Math.floor(r() * 3)]}\r\n`;
    parts.push(row);
    size += row.length;
  }
  return parts.join('');
}

function sink(isTTY: boolean): ProgressSink & { text: string } {
  const out = { text: '', isTTY, write: (s: string) => (out.text += s) };
  return out;
}

const dir = mkdtempSync(join(tmpdir(), 'cli-data-'));
const path = join(dir, 'big.csv');
writeFileSync(path, bigCsv(3 * 1024 * 1024 + 12345, 1));

describe('readDatasetFile', () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('streams a multi-megabyte CSV to the same table and examples as the whole-file parser', async () => {
    const quiet = sink(false);
    const streamed = await readDatasetFile(path, { progressTo: quiet });
    const whole = parseDatasetBytes(new Uint8Array(readFileSync(path)), path);
    expect(streamed.rows.length).toBeGreaterThan(20_000);
    expect(plain(streamed)).toEqual(plain(whole));
    const columns = { text: 'text', label: 'label' };
    expect(buildExamples(streamed, columns)).toEqual(buildExamples(whole, columns));
    expect(quiet.text).toBe(''); // below the default 8 MiB threshold: no progress
  });

  it('shows progress above the threshold: a line per quarter in a log, one redrawn line on a terminal', async () => {
    const log = sink(false);
    const table = await readDatasetFile(path, { progressFromBytes: 1024 * 1024, progressTo: log });
    const lines = log.text.trimEnd().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(lines.length).toBeLessThanOrEqual(4);
    for (const line of lines.slice(0, -1)) expect(line).toMatch(/^reading .*big\.csv: [\d.]+ of [\d.]+ MiB \(\d+%\), [\d,]+ rows$/);
    expect(lines.at(-1)).toMatch(new RegExp(`^read .*big\\.csv: [\\d.]+ MiB, ${table.rows.length.toLocaleString('en')} rows in [\\d.]+ s$`));

    const terminal = sink(true);
    await readDatasetFile(path, { progressFromBytes: 1024 * 1024, progressTo: terminal });
    expect(terminal.text.startsWith('\rreading ')).toBe(true);
    expect(terminal.text.endsWith(' s\x1b[K\n')).toBe(true);
    expect(terminal.text.split('\n')).toHaveLength(2); // one line, redrawn in place

    // A failure ends the open line, so the error message starts on a line of its own.
    const text = readFileSync(path);
    text[text.indexOf('plain', 2_000_000)] = 0xe9;
    const broken = join(dir, 'broken.csv');
    writeFileSync(broken, text);
    const interrupted = sink(true);
    await expect(readDatasetFile(broken, { progressFromBytes: 1024 * 1024, progressTo: interrupted })).rejects.toThrow(/broken\.csv \(byte \d+, line \d+\)/);
    // One line, redrawn (with '\r', which '.' does not match) as often as the machine is slow.
    expect(interrupted.text).toMatch(/^\rreading [^\n]*\n$/);
    expect(interrupted.text).not.toContain('\rread ');
  });

  it('reports an error past the first chunk with the same file, line and words as the whole-file parser', async () => {
    const text = readFileSync(path, 'utf8');
    const cut = text.indexOf(',pos\r\n', 2_500_000) + 6; // a row's end, not a line break inside quotes
    const badRow = join(dir, 'bad-row.csv');
    writeFileSync(badRow, `${text.slice(0, cut)}one,too,many\r\n${text.slice(cut)}`);
    const badUtf8 = join(dir, 'bad-utf8.csv');
    const bytes = Buffer.from(text);
    bytes[bytes.indexOf('plain', 2_200_000)] = 0xe9; // a Latin-1 é in the middle of a word
    writeFileSync(badUtf8, bytes);
    const truncated = join(dir, 'truncated.csv');
    writeFileSync(truncated, Buffer.concat([Buffer.from('text,label\nok,pos\nfine,neg\n'), Buffer.from('😀').subarray(0, 2)]));
    for (const file of [badRow, badUtf8, truncated]) {
      const whole = outcome(() => parseDatasetBytes(new Uint8Array(readFileSync(file)), file));
      const streamed = await readDatasetFile(file, { progressTo: sink(false) }).then(
        () => ({ error: 'none' }),
        (e: unknown) => ({ error: e instanceof BadInputError ? e.message : String(e) }),
      );
      expect(whole).toEqual({ error: expect.stringMatching(/\(.*line \d+\)/) });
      expect(streamed).toEqual(whole);
    }
  });

  it('turns a missing file, a folder and a path through a file into BadInputErrors that say what to do', async () => {
    const folder = join(dir, 'folder.csv');
    mkdirSync(folder, { recursive: true });
    const cases: [string, RegExp][] = [
      [join(dir, 'missing.csv'), /: does not exist; check the path/],
      [folder, /: is a folder, not a file; pass the dataset file itself/],
      [join(path, 'inner.csv'), /: is not a file: a part of the path before it is a file/],
    ];
    for (const [file, why] of cases) {
      const error = await readDatasetFile(file).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BadInputError);
      expect((error as BadInputError).file).toBe(file);
      expect((error as BadInputError).message).toMatch(why);
    }
  });

  it('keeps the unsupported-extension advice of the whole-file parser', async () => {
    const xlsx = join(dir, 'sheet.xlsx');
    writeFileSync(xlsx, 'PK\x03\x04');
    await expect(readDatasetFile(xlsx)).rejects.toThrow(/sheet\.xlsx: has "\.xlsx"; .*export the sheet as "CSV UTF-8"/);
  });
});
