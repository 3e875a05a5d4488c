import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BadInputError } from '../../../errors';
import { createUtf8StreamDecoder, decodeUtf8, findInvalidUtf8 } from './utf8';
import { expectBadInput } from '../../../../test/dataset-samples';
import { seedFastCheck } from '../../../../test/fuzz-seed';

seedFastCheck();

const bytesOf = (...parts: (string | number[])[]) =>
  Uint8Array.from(parts.flatMap((p) => (typeof p === 'string' ? [...new TextEncoder().encode(p)] : p)));

function decodeInPieces(bytes: Uint8Array, cuts: number[], file = 'x.csv'): string {
  const decoder = createUtf8StreamDecoder(file);
  let text = '';
  let at = 0;
  for (const cut of [...cuts, bytes.length]) {
    text += decoder.push(bytes.subarray(at, cut));
    at = cut;
  }
  return text + decoder.finish();
}

const outcome = (run: () => string) => {
  try {
    return run();
  } catch (e) {
    if (e instanceof BadInputError) return `error: ${e.message}`;
    throw e;
  }
};

describe('decodeUtf8', () => {
  it('decodes UTF-8 and drops a BOM', () => {
    expect(decodeUtf8(bytesOf([0xef, 0xbb, 0xbf], 'text\nnaïve 😀'), 'x.csv')).toBe('text\nnaïve 😀');
  });

  it('names the byte offset and line of a Latin-1 byte', () => {
    const bytes = bytesOf('text,label\nok,1\ncaf', [0xe9], ',0\n');
    expectBadInput(() => decodeUtf8(bytes, 'fr.csv'), 'fr.csv', 'byte 19, line 3', /byte 0xE9 is not valid UTF-8; the file is probably in another encoding \(Windows-1252, Latin-1, …\); save the file as UTF-8/);
  });

  it('rejects overlong forms, surrogates and code points above U+10FFFF', () => {
    expectBadInput(() => decodeUtf8(bytesOf('ab', [0xc0, 0xaf]), 'x.csv'), 'x.csv', 'byte 2, line 1', /0xC0/);
    expectBadInput(() => decodeUtf8(bytesOf('a\n', [0xed, 0xa0, 0x80]), 'x.csv'), 'x.csv', 'byte 2, line 2', /0xED/);
    expectBadInput(() => decodeUtf8(bytesOf([0xf4, 0x90, 0x80, 0x80]), 'x.csv'), 'x.csv', 'byte 0, line 1', /0xF4/);
  });

  it('a file that ends inside a character', () => {
    expectBadInput(() => decodeUtf8(bytesOf('a\nb', [0xe6, 0x97]), 'x.tsv'), 'x.tsv', 'byte 3, line 2', /ends in the middle of a UTF-8 character/);
  });

  it('recognises UTF-16, zip (xlsx) and gzip files', () => {
    expectBadInput(() => decodeUtf8(bytesOf([0xff, 0xfe, 0x74, 0x00]), 'u16.tsv'), 'u16.tsv', null, /is UTF-16 encoded.*save the file as UTF-8/);
    expectBadInput(() => decodeUtf8(bytesOf('PK', [3, 4, 20, 0, 0x88, 0x99]), 'book.csv'), 'book.csv', null, /ZIP archive \(an Excel \.xlsx workbook\?\).*CSV UTF-8/);
    expectBadInput(() => decodeUtf8(bytesOf([0x1f, 0x8b, 8, 0, 0xff]), 'x.jsonl'), 'x.jsonl', null, /gzip-compressed; decompress it first/);
  });

  it('streams: every cut gives the same text or the same error', () => {
    const samples = [
      bytesOf('héllo\n日本語\n😀 end'),
      bytesOf('ab\nc', [0xe6, 0x97], 'x'), // truncated 3-byte character mid-file
      bytesOf('ab\n', [0xf0, 0x9f, 0x98]), // ends inside a character
      bytesOf('é\n', [0x80], '\n'),
    ];
    for (const bytes of samples) {
      const whole = outcome(() => decodeUtf8(bytes, 'x.csv'));
      for (let a = 0; a <= bytes.length; a++) {
        for (let b = a; b <= bytes.length; b++) expect(outcome(() => decodeInPieces(bytes, [a, b])), `cuts ${a},${b}`).toBe(whole);
      }
    }
  });

  it('the validator agrees with TextDecoder on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
        let valid = true;
        try {
          new TextDecoder('utf-8', { fatal: true }).decode(bytes);
        } catch {
          valid = false;
        }
        expect(findInvalidUtf8(bytes) === null).toBe(valid);
      }),
      { numRuns: 2000 },
    );
  });

  it('streamed decoding equals whole decoding on random bytes cut anywhere', () => {
    const byteMix = fc.array(fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(0xe6, 0x97, 0xa5, 0xf0, 0x9f, 0x98, 0x80, 0x0a)), { maxLength: 30 });
    fc.assert(
      fc.property(byteMix, fc.array(fc.nat(30), { maxLength: 4 }), (values, rawCuts) => {
        const bytes = Uint8Array.from(values);
        const cuts = rawCuts.map((c) => Math.min(c, bytes.length)).sort((a, b) => a - b);
        expect(outcome(() => decodeInPieces(bytes, cuts))).toBe(outcome(() => decodeUtf8(bytes, 'x.csv')));
      }),
      { numRuns: 1000 },
    );
  });
});
