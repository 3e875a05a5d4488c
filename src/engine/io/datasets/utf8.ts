/**
 * Strict UTF-8 decoding for dataset files, whole or in chunks. TextDecoder (fatal) does the
 * work; when it refuses, a small validator finds the exact byte so the message can name the
 * byte offset and line, and known non-UTF-8 files (UTF-16, zip/xlsx, gzip) get their own advice.
 */
import { BadInputError } from '../../../errors';

export interface Utf8StreamDecoder {
  /** Decodes the next bytes; a character split across chunks is completed by the next call. */
  push(bytes: Uint8Array): string;
  /** Flushes; throws if the file ends inside a character. */
  finish(): string;
  /** Bytes consumed so far. */
  readonly bytes: number;
  /**
   * After push threw on an invalid sequence: the text of the valid bytes before it, not yet
   * returned, so a parser can read them first and an earlier problem is the one reported,
   * wherever the chunks were cut.
   */
  readonly textBeforeError: string;
}

const SAVE_AS_UTF8 = 'save the file as UTF-8 (in Excel: Save As → "CSV UTF-8"; in an editor: encoding UTF-8) and load it again';

/** Decodes a whole file; throws BadInputError naming the byte and line of the first invalid sequence. */
export function decodeUtf8(bytes: Uint8Array, fileName: string): string {
  const decoder = createUtf8StreamDecoder(fileName);
  const text = decoder.push(bytes);
  return text + decoder.finish();
}

export function createUtf8StreamDecoder(fileName: string): Utf8StreamDecoder {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const head: number[] = []; // the first 4 bytes, for file signatures
  let last: Uint8Array = new Uint8Array(0); // the last ≤3 bytes seen, to locate errors across chunks
  let total = 0;
  let newlines = 0;
  let textBeforeError = '';

  const fail = (combined: Uint8Array, base: number, atEnd: boolean): BadInputError => {
    // A known kind of non-text file is named as such: no byte offset needed.
    const signature = signatureAdvice(head);
    if (signature) return new BadInputError(fileName, null, signature);
    const found = findInvalidUtf8(combined, atEnd);
    if (!found) return new BadInputError(fileName, null, `is not valid UTF-8; ${SAVE_AS_UTF8}`);
    // Valid up to the bad sequence, which starts on a character boundary.
    textBeforeError = new TextDecoder('utf-8').decode(combined.subarray(0, found.offset));
    const offset = base + found.offset;
    let line = newlines + 1;
    for (let i = 0; i < found.offset; i++) if (combined[i] === 0x0a) line++;
    const where = `byte ${offset}, line ${line}`;
    const why = found.truncated
      ? `the file ends in the middle of a UTF-8 character; it is truncated or not UTF-8 text; ${SAVE_AS_UTF8}`
      : `byte 0x${combined[found.offset].toString(16).toUpperCase().padStart(2, '0')} is not valid UTF-8; ` +
        `the file is probably in another encoding (Windows-1252, Latin-1, …); ${SAVE_AS_UTF8}`;
    return new BadInputError(fileName, where, why);
  };

  return {
    get bytes() {
      return total;
    },
    get textBeforeError() {
      return textBeforeError;
    },
    push(bytes) {
      for (let i = 0; i < bytes.length && head.length < 4; i++) head.push(bytes[i]);
      let text: string;
      try {
        text = decoder.decode(bytes, { stream: true });
      } catch {
        const tail = last.subarray(incompleteTailStart(last));
        const combined = new Uint8Array(tail.length + bytes.length);
        combined.set(tail);
        combined.set(bytes, tail.length);
        throw fail(combined, total - tail.length, false);
      }
      for (let i = 0; i < bytes.length; i++) if (bytes[i] === 0x0a) newlines++;
      total += bytes.length;
      last = bytes.length >= 3 ? bytes.slice(bytes.length - 3) : concat(last, bytes).slice(-3);
      return text;
    },
    finish() {
      try {
        return decoder.decode();
      } catch {
        const tail = last.subarray(incompleteTailStart(last));
        throw fail(tail, total - tail.length, true);
      }
    },
  };
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** Where the unfinished multi-byte character at the end of (already valid) bytes starts. */
function incompleteTailStart(bytes: Uint8Array): number {
  for (let p = bytes.length - 1; p >= Math.max(0, bytes.length - 3); p--) {
    const b = bytes[p];
    if (b < 0x80) return bytes.length;
    if (b >= 0xc0) {
      const length = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
      return p + length > bytes.length ? p : bytes.length;
    }
  }
  return bytes.length;
}

/**
 * The first invalid sequence, by the WHATWG decoder's rules (no overlongs, no surrogates, ≤ U+10FFFF).
 * `truncated`: the bytes end inside a character (only an error when `atEnd`).
 */
export function findInvalidUtf8(bytes: Uint8Array, atEnd = true): { offset: number; truncated: boolean } | null {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let low = 0x80;
    let high = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      if (b === 0xe0) low = 0xa0;
      if (b === 0xed) high = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      if (b === 0xf0) low = 0x90;
      if (b === 0xf4) high = 0x8f;
    } else return { offset: i, truncated: false };
    for (let k = 1; k <= need; k++) {
      if (i + k >= bytes.length) return atEnd ? { offset: i, truncated: true } : null;
      const c = bytes[i + k];
      if (c < (k === 1 ? low : 0x80) || c > (k === 1 ? high : 0xbf)) return { offset: i, truncated: false };
    }
    i += need + 1;
  }
  return null;
}

function signatureAdvice(head: number[]): string | null {
  const [a, b, c, d] = head;
  if ((a === 0xff && b === 0xfe) || (a === 0xfe && b === 0xff)) {
    return `the file is UTF-16 encoded (Excel's "Unicode Text"); ${SAVE_AS_UTF8}`;
  }
  if (a === 0x50 && b === 0x4b && c === 0x03 && d === 0x04) {
    return 'the file is a ZIP archive (an Excel .xlsx workbook?), not text; export the sheet as "CSV UTF-8" and load that';
  }
  if (a === 0x1f && b === 0x8b) return 'the file is gzip-compressed; decompress it first and load the .csv/.tsv/.jsonl inside';
  return null;
}
