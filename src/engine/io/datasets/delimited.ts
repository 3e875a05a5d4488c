/**
 * CSV and TSV through papaparse's low-level Parser, fed chunk by chunk the way papaparse's own
 * file streamer does it: parse `pending + chunk` with ignoreLastRow, keep the unfinished tail
 * for the next call. Input arrives with line breaks already normalised to '\n'.
 *
 * TSV is parsed with quoting off (papaparse's fastMode: split on '\n' and '\t'), because GLUE
 * TSVs contain unbalanced quotes inside sentences; CSV follows RFC 4180 quoting.
 */
import Papa from 'papaparse';
import { badInput, emptyFile, type TableBuilder } from './table';
import { countNewlines, MAX_PENDING_CHARS, type FormatParser } from './format';

interface PapaStep {
  data: string[][];
  errors: { type: string; code: string; index?: number }[];
  meta: { cursor: number };
}

export class DelimitedParser implements FormatParser {
  private readonly parser: Papa.Parser;
  private pending = '';
  private pendingLine = 1;
  private headerLine = 0;
  // The parse call in progress: its input, the end of the last row taken, that row's next line.
  private input = '';
  private cursor = 0;
  private line = 1;

  constructor(
    private readonly table: TableBuilder,
    private readonly format: 'csv' | 'tsv',
  ) {
    this.parser = new Papa.Parser({
      delimiter: format === 'csv' ? ',' : '\t',
      newline: '\n',
      quoteChar: '"',
      fastMode: format === 'tsv',
      step: (results: unknown) => this.onRow(results as PapaStep),
    });
  }

  push(text: string): void {
    this.run(this.pending + text, true);
    if (this.pending.length > MAX_PENDING_CHARS) {
      throw badInput(
        this.table.file,
        this.pendingLine,
        this.format === 'csv'
          ? `a record starting here runs past ${MAX_PENDING_CHARS.toLocaleString('en')} characters without ending; a quote (") probably opens a field that never closes: double the quotes inside quoted texts (""), or, if the file is tab-separated, rename it to .tsv`
          : `this line is longer than ${MAX_PENDING_CHARS.toLocaleString('en')} characters; a TSV needs one example per line`,
      );
    }
  }

  finish(): void {
    this.run(this.pending, false);
    this.pending = '';
    if (this.headerLine === 0) throw emptyFile(this.table.file, this.format);
    if (this.table.rowCount === 0) {
      throw badInput(
        this.table.file,
        null,
        `has a header line (${this.table.columns.join(this.format === 'csv' ? ',' : '\\t')}) but no data rows; add one row per example below it`,
      );
    }
  }

  private run(input: string, more: boolean): void {
    this.input = input;
    this.cursor = 0;
    this.line = this.pendingLine;
    this.parser.parse(input, 0, more);
    this.pending = input.substring(this.cursor);
    this.pendingLine = this.line;
  }

  private onRow(step: PapaStep): void {
    const rowStart = this.cursor;
    const line = this.line;
    this.cursor = step.meta.cursor;
    this.line += countNewlines(this.input, rowStart, this.cursor);
    const quoteError = step.errors.find((e) => e.type === 'Quotes');
    if (quoteError) {
      const at = line + countNewlines(this.input, rowStart, quoteError.index ?? rowStart);
      throw badInput(this.table.file, at, quoteError.code === 'MissingQuotes' ? MISSING_QUOTE : INVALID_QUOTE);
    }
    const fields = step.data[0];
    if (!fields || (fields.length === 1 && fields[0].trim() === '')) return; // blank line
    if (this.headerLine === 0) {
      this.takeHeader(fields, line);
      return;
    }
    const expected = this.table.columns.length;
    if (fields.length !== expected) {
      throw badInput(
        this.table.file,
        line,
        `has ${fields.length} field${fields.length === 1 ? '' : 's'} but the header (line ${this.headerLine}) has ${expected}; ` +
          (this.format === 'csv'
            ? 'a text that contains commas must be in double quotes ("like, this") with any quote inside doubled (""); fix this row or delete it'
            : 'a field must not contain a tab character; fix this row or delete it'),
      );
    }
    this.table.addFields(fields, line);
  }

  private takeHeader(fields: string[], line: number): void {
    if (fields.length === 1) {
      const only = fields[0];
      const other =
        this.format === 'csv'
          ? only.includes('\t')
            ? 'tab-separated: rename it to .tsv'
            : only.includes(';')
              ? 'semicolon-separated: save it again with commas as separators (Excel: "CSV UTF-8 (Comma delimited)")'
              : only.includes('|')
                ? 'pipe-separated (|): save it again with commas as separators'
                : null
          : only.includes(',')
            ? 'comma-separated: rename it to .csv'
            : null;
      if (other) {
        throw badInput(this.table.file, line, `the header "${clip(only)}" is a single column that looks ${other}`);
      }
    }
    this.table.setHeader(fields, line);
    this.headerLine = line;
  }
}

const MISSING_QUOTE =
  'a field opens a quote (") here that never closes, so the rest of the file would be one text; ' +
  'close the quote and double every quote inside a quoted text (""), or, if the file is tab-separated, rename it to .tsv';
const INVALID_QUOTE =
  'a field that starts with a quote (") goes on after its closing quote; ' +
  'put the whole field in double quotes and double every quote inside it ("say ""hi"""), or, if the file is tab-separated, rename it to .tsv';

function clip(text: string, max = 60): string {
  const shown = text.replace(/\t/g, '\\t');
  return shown.length > max ? `${shown.slice(0, max)}…` : shown;
}
