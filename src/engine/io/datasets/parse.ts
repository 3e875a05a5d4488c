/**
 * Dataset text in, RawTable out. The format follows the file name's extension. Everything goes
 * through the streaming parser, so a whole text is parsed exactly like the same text in chunks:
 * the stream strips a BOM, turns CRLF and lone CR into '\n' (a CR split from its LF across
 * chunks is held back), refuses NUL characters (binary or UTF-16 files), then hands the text to
 * the format's parser.
 */
import { countNewlines, type FormatParser } from './format';
import { DelimitedParser } from './delimited';
import { JsonlParser, JsonParser } from './json';
import { badInput, emptyFile, TableBuilder, type DatasetFormat, type RawTable } from './table';
import { createUtf8StreamDecoder, type Utf8StreamDecoder } from './utf8';

export interface DatasetProgress {
  /** Characters of text parsed so far. */
  chars: number;
  /** Data rows found so far (JSON arrays are counted at the end). */
  rows: number;
  /** Bytes read, when reading bytes (readDatasetStream). */
  bytes?: number;
  totalBytes?: number;
}

export interface DatasetStreamParser {
  push(chunk: string): void;
  finish(): RawTable;
  readonly chars: number;
  readonly rows: number;
}

const EXTENSIONS: Record<string, DatasetFormat> = { csv: 'csv', tsv: 'tsv', tab: 'tsv', jsonl: 'jsonl', ndjson: 'jsonl', json: 'json' };

/** The format a file name asks for; an unsupported extension is a BadInputError with advice. */
export function datasetFormatOf(fileName: string): DatasetFormat {
  const base = fileName.split(/[\\/]/).pop() ?? fileName;
  const dot = base.lastIndexOf('.');
  const extension = dot > 0 ? base.slice(dot + 1).toLowerCase() : '';
  const format = Object.prototype.hasOwnProperty.call(EXTENSIONS, extension) ? EXTENSIONS[extension] : undefined;
  if (format) return format;
  const advice =
    extension === 'xlsx' || extension === 'xls' || extension === 'ods'
      ? 'export the sheet as "CSV UTF-8" and load that'
      : extension === 'txt'
        ? 'rename it to .tsv if it is tab-separated, or to .csv if it is comma-separated'
        : extension === 'gz' || extension === 'zip'
          ? 'decompress it first and load the file inside'
          : 'save it as one of those';
  const shown = extension ? `".${extension}"` : 'no extension';
  throw badInput(fileName, null, `has ${shown}; supported dataset files are .csv, .tsv, .jsonl and .json: ${advice}`);
}

export function createDatasetStreamParser(fileName: string, options: { onProgress?: (progress: DatasetProgress) => void } = {}): DatasetStreamParser {
  const format = datasetFormatOf(fileName);
  const table = new TableBuilder(fileName, format);
  const parser: FormatParser =
    format === 'csv' || format === 'tsv' ? new DelimitedParser(table, format) : format === 'jsonl' ? new JsonlParser(table) : new JsonParser(table);
  let started = false;
  let heldCR = false;
  let sawContent = false;
  let newlines = 0;
  let chars = 0;
  let failure: unknown = null;
  let done = false;

  // After a failure every call repeats it: a half-parsed table never escapes.
  const guarded = <T>(work: () => T): T => {
    if (failure) throw failure;
    if (done) throw new Error(`${fileName}: the dataset parser was already finished`);
    try {
      return work();
    } catch (e) {
      failure = e;
      throw e;
    }
  };

  const feed = (raw: string): void => {
    const text = raw.includes('\r') ? raw.replace(/\r\n?/g, '\n') : raw;
    const nul = text.indexOf('\0');
    if (nul !== -1) {
      // Rows before the NUL go first, so an earlier error wins however the text was cut.
      parser.push(text.slice(0, nul));
      throw badInput(
        fileName,
        newlines + 1 + countNewlines(text, 0, nul),
        'contains a NUL character, so it is a binary file or UTF-16 text, not UTF-8; save it as UTF-8 text (Excel: "CSV UTF-8") and load it again',
      );
    }
    if (!sawContent && /\S/.test(text)) sawContent = true;
    newlines += countNewlines(text, 0, text.length);
    parser.push(text);
  };

  return {
    get chars() {
      return chars;
    },
    get rows() {
      return table.rowCount;
    },
    push(chunk) {
      guarded(() => {
        chars += chunk.length;
        let text = chunk;
        if (!started && text.length > 0) {
          started = true;
          if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
        }
        if (heldCR) text = '\r' + text;
        heldCR = text.endsWith('\r');
        if (heldCR) text = text.slice(0, -1);
        feed(text);
        options.onProgress?.({ chars, rows: table.rowCount });
      });
    },
    finish() {
      return guarded(() => {
        if (heldCR) feed('\n');
        if (!sawContent) throw emptyFile(fileName, format);
        parser.finish();
        done = true;
        const result = table.build();
        options.onProgress?.({ chars, rows: result.rows.length });
        return result;
      });
    },
  };
}

/** Parses a whole dataset text (already decoded; see decodeUtf8). */
export function parseDatasetText(text: string, fileName: string): RawTable {
  const parser = createDatasetStreamParser(fileName);
  parser.push(text);
  return parser.finish();
}

/** Decodes (strict UTF-8) and parses a whole file's bytes. */
export function parseDatasetBytes(bytes: Uint8Array, fileName: string): RawTable {
  const parser = createDatasetStreamParser(fileName); // an unsupported extension is reported before any encoding complaint
  const decoder = createUtf8StreamDecoder(fileName);
  pushBytes(parser, decoder, bytes);
  parser.push(decoder.finish());
  return parser.finish();
}

/**
 * Decodes bytes into the parser. On invalid UTF-8 the valid text before it is parsed first, so a
 * problem earlier in the file (a NUL, a bad row) is the one reported, however the file was cut
 * into chunks, and the same as for the whole file.
 */
function pushBytes(parser: DatasetStreamParser, decoder: Utf8StreamDecoder, bytes: Uint8Array): void {
  let text: string;
  try {
    text = decoder.push(bytes);
  } catch (e) {
    parser.push(decoder.textBeforeError);
    throw e;
  }
  parser.push(text);
}

/**
 * Reads a byte stream (a browser File's `stream()`, or a Node file through `Readable.toWeb`)
 * chunk by chunk: memory holds the table, never a second copy of the file.
 */
export async function readDatasetStream(
  stream: ReadableStream<Uint8Array>,
  fileName: string,
  options: { totalBytes?: number; onProgress?: (progress: DatasetProgress) => void } = {},
): Promise<RawTable> {
  const parser = createDatasetStreamParser(fileName);
  const decoder = createUtf8StreamDecoder(fileName);
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      pushBytes(parser, decoder, value);
      options.onProgress?.({ chars: parser.chars, rows: parser.rows, bytes: decoder.bytes, totalBytes: options.totalBytes });
    }
    parser.push(decoder.finish());
    const table = parser.finish();
    options.onProgress?.({ chars: parser.chars, rows: table.rows.length, bytes: decoder.bytes, totalBytes: options.totalBytes });
    return table;
  } catch (e) {
    await reader.cancel().catch(() => undefined);
    throw e;
  } finally {
    reader.releaseLock();
  }
}
