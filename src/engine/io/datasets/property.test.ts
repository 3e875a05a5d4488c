/**
 * Property tests: whatever bytes or text arrive, the dataset pipeline returns a result or a
 * BadInputError — never another exception — and chunked parsing agrees with whole parsing.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BadInputError } from '../../../errors';
import { guessColumns } from './columns';
import { buildExamples } from './labels';
import { parseDatasetBytes, parseDatasetText } from './parse';
import type { RawTable } from './table';
import { elementOffsets } from './json';
import { outcome, parseChunks } from '../../../../test/dataset-samples';
import { decodeUtf8 } from './utf8';
import { seedFastCheck } from '../../../../test/fuzz-seed';

seedFastCheck();

const FILES = ['data.csv', 'data.tsv', 'data.jsonl', 'data.json'];

/** Runs the whole pipeline; anything thrown must be a BadInputError. */
function pipeline(parse: () => RawTable): void {
  try {
    const table = parse();
    expect(table.rows.length).toBeGreaterThan(0);
    for (let i = 0; i < table.rows.length; i++) expect(table.lineOf(i)).toBeGreaterThan(0);
    buildExamples(table, guessColumns(table));
  } catch (e) {
    if (!(e instanceof BadInputError)) throw e;
    expect(e.message.startsWith(e.file)).toBe(true);
  }
}

/** Characters that mean something to one of the formats, plus ordinary ones. */
const syntax = fc.constantFrom(',', '\t', ';', '"', '\n', '\r', '\r\n', '{', '}', '[', ']', ':', '\\', 'a', 'b', '1', '0', ' ', '\uFEFF', '\0', 'é', '😀', '"text"', '"label"', 'text', 'label');
const syntaxText = fc.array(syntax, { maxLength: 60 }).map((parts) => parts.join(''));
const jsonText = fc.oneof(
  fc.jsonValue().map((v) => JSON.stringify(v, null, 1)),
  fc.array(fc.dictionary(fc.constantFrom('text', 'label', 'x'), fc.jsonValue({ maxDepth: 1 })), { maxLength: 5 }).map((rows) => JSON.stringify(rows)),
  fc.array(fc.dictionary(fc.constantFrom('text', 'label', 'x'), fc.jsonValue({ maxDepth: 1 })), { maxLength: 5 }).map((rows) => rows.map((r) => JSON.stringify(r)).join('\n')),
);

describe('random input never crashes', () => {
  it('random bytes → decodeUtf8 → parse → columns → examples', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.constantFrom(...FILES), (bytes, file) => {
        pipeline(() => parseDatasetBytes(bytes, file));
        pipeline(() => parseDatasetText(decodeUtf8(bytes.filter((b) => b < 0x80), file), file));
      }),
      { numRuns: 1500 },
    );
  });

  it('random strings of any characters', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 100 }), fc.constantFrom(...FILES), (text, file) => {
        pipeline(() => parseDatasetText(text, file));
      }),
      { numRuns: 1500 },
    );
  });

  it('random format syntax and JSON, whole and in random chunks, agree', () => {
    fc.assert(
      fc.property(fc.oneof(syntaxText, jsonText), fc.constantFrom(...FILES), fc.array(fc.nat(), { maxLength: 5 }), (text, file, rawCuts) => {
        pipeline(() => parseDatasetText(text, file));
        const cuts = [...new Set(rawCuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
        const chunks = [0, ...cuts].map((from, i, all) => text.slice(from, all[i + 1] ?? text.length));
        expect(outcome(() => parseChunks(chunks, file))).toEqual(outcome(() => parseDatasetText(text, file)));
      }),
      { numRuns: 3000 },
    );
  });
});

describe('round trips', () => {
  const name = fc.string({ minLength: 1, maxLength: 8 }).map((s) => s.trim()).filter((s) => s.length > 0);
  const header = fc.uniqueArray(name, { minLength: 2, maxLength: 4 });

  it('CSV written with RFC 4180 quoting reads back cell for cell', () => {
    const cell = fc.string({ maxLength: 12, unit: fc.constantFrom('a', 'b', ' ', ',', '"', '\n', 'é', '😀', '\t', ';') });
    const table = header.chain((columns) => fc.tuple(fc.constant(columns), fc.array(fc.array(cell, { minLength: columns.length, maxLength: columns.length }), { minLength: 1, maxLength: 6 })));
    fc.assert(
      fc.property(table, fc.boolean(), ([columns, rows], crlf) => {
        const quote = (s: string) => `"${s.replace(/"/g, '""')}"`;
        const newline = crlf ? '\r\n' : '\n';
        const text = [columns, ...rows].map((r) => r.map(quote).join(',')).join(newline) + newline;
        const parsed = parseDatasetText(text, 'x.csv');
        expect(parsed.columns).toEqual(columns);
        expect(parsed.rows.map((row) => columns.map((c) => row[c]))).toEqual(rows);
      }),
      { numRuns: 500 },
    );
  });

  it('TSV reads back cell for cell, quotes included', () => {
    const cell = fc.string({ maxLength: 12, unit: fc.constantFrom('a', 'b', ' ', ',', '"', "'", 'é', ';') });
    const tsvHeader = fc.uniqueArray(name.filter((s) => !/[\t\n\r]/.test(s)), { minLength: 2, maxLength: 4 });
    const table = tsvHeader.chain((columns) => fc.tuple(fc.constant(columns), fc.array(fc.array(cell, { minLength: columns.length, maxLength: columns.length }), { minLength: 1, maxLength: 6 })));
    fc.assert(
      fc.property(table, ([columns, rows]) => {
        const text = [columns, ...rows].map((r) => r.join('\t')).join('\n');
        const parsed = parseDatasetText(text, 'x.tsv');
        expect(parsed.rows.map((row) => columns.map((c) => row[c]))).toEqual(rows);
        expect(parsed.rows.map((_, i) => parsed.lineOf(i))).toEqual(rows.map((_, i) => i + 2));
      }),
      { numRuns: 500 },
    );
  });

  it('JSON element positions: one offset per element, at its first character', () => {
    fc.assert(
      fc.property(fc.array(fc.jsonValue(), { maxLength: 6 }), fc.jsonValue(), fc.constantFrom(0, 1, 2, '\t'), fc.boolean(), (rows, other, indent, wrapped) => {
        const text = wrapped ? JSON.stringify({ before: other, data: rows, after: [other, { data: [other] }] }, null, indent) : JSON.stringify(rows, null, indent);
        const offsets = elementOffsets(text, wrapped ? 'data' : null);
        expect(offsets).toHaveLength(rows.length);
        offsets.forEach((offset, i) => expect(text[offset]).toBe(JSON.stringify(rows[i])[0]));
      }),
      { numRuns: 1000 },
    );
  });
});
