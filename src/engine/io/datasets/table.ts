/**
 * The parsed, not yet interpreted, dataset: named columns and rows of plain values, with the
 * line each row starts on so every later error can point at it. The format parsers fill it
 * through TableBuilder, which owns the checks shared by all formats.
 */
import { BadInputError } from '../../../errors';
import type { CellValue, DatasetFormat } from '../../../shared/datasets';

export type { CellValue, DatasetFormat };

/** One row; built without a prototype so columns named `__proto__` or `constructor` are plain keys. */
export type RawRow = Record<string, CellValue>;

export interface RawTable {
  file: string;
  format: DatasetFormat;
  columns: string[];
  rows: RawRow[];
  /** 1-based line of the file where row `rowIndex` starts. */
  lineOf(rowIndex: number): number;
  /**
   * JSON formats only: columns where some row holds an object or array (kept as its JSON text)
   * → the first line with one. Such a column cannot be a text or label column.
   */
  nestedColumns: ReadonlyMap<string, number>;
}

/** A JSON file may not add more distinct keys than this (a sign of data, not a table). */
export const MAX_JSON_COLUMNS = 1000;

export function badInput(file: string, line: number | null, why: string): BadInputError {
  return new BadInputError(file, line === null ? null : `line ${line}`, why);
}

export function emptyFile(file: string, format: string): BadInputError {
  const example = format === 'csv' ? 'text,label' : format === 'tsv' ? 'sentence<TAB>label' : '{"text": "…", "label": "…"}';
  return badInput(file, null, `the file is empty; choose a file with ${format === 'csv' || format === 'tsv' ? `a header line such as ${example} and` : `rows such as ${example},`} one row per example`);
}

export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

export class TableBuilder {
  readonly columns: string[] = [];
  readonly rows: RawRow[] = [];
  private readonly lines: number[] = [];
  private readonly columnSet = new Set<string>();
  private readonly nested = new Map<string, number>();
  private columnsGrew = false;

  constructor(
    readonly file: string,
    public format: DatasetFormat,
  ) {}

  /** CSV/TSV: the header names the columns once; blank names become `column_N`. */
  setHeader(names: string[], line: number): void {
    names.forEach((raw, i) => {
      const name = raw.trim() || `column_${i + 1}`;
      if (this.columnSet.has(name)) {
        const first = this.columns.indexOf(name) + 1;
        throw badInput(this.file, line, `the header names column "${name}" twice (columns ${first} and ${i + 1}); rename one of them`);
      }
      this.columnSet.add(name);
      this.columns.push(name);
    });
  }

  /** CSV/TSV: values in header order. */
  addFields(fields: string[], line: number): void {
    const row: RawRow = Object.create(null);
    for (let i = 0; i < this.columns.length; i++) row[this.columns[i]] = fields[i];
    this.rows.push(row);
    this.lines.push(line);
  }

  /** JSON/JSONL: one object; new keys become new columns, objects/arrays are kept as JSON text. */
  addObject(value: unknown, line: number, what: string): void {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw badInput(this.file, line, `${what} is ${describeValue(value)}, not an object; each row must be an object such as {"text": "…", "label": "…"}`);
    }
    const row: RawRow = Object.create(null);
    for (const key of Object.keys(value)) {
      if (!this.columnSet.has(key)) {
        if (this.columns.length >= MAX_JSON_COLUMNS) {
          throw badInput(this.file, line, `the rows use more than ${MAX_JSON_COLUMNS} different keys; each row should be an object with the same few keys, such as "text" and "label"`);
        }
        this.columnSet.add(key);
        this.columns.push(key);
        if (this.rows.length > 0) this.columnsGrew = true;
      }
      const cell = (value as Record<string, unknown>)[key];
      if (cell !== null && typeof cell === 'object') {
        if (!this.nested.has(key)) this.nested.set(key, line);
        row[key] = jsonText(cell);
      } else {
        row[key] = cell as CellValue;
      }
    }
    if (!this.columnsGrew && Object.keys(row).length < this.columns.length) this.columnsGrew = true;
    this.rows.push(row);
    this.lines.push(line);
  }

  get rowCount(): number {
    return this.rows.length;
  }

  build(): RawTable {
    if (this.columnsGrew) {
      // Rows missing a key get null, so every row has every column.
      for (const row of this.rows) for (const column of this.columns) if (!(column in row)) row[column] = null;
    }
    const lines = this.lines;
    return {
      file: this.file,
      format: this.format,
      columns: this.columns,
      rows: this.rows,
      lineOf: (rowIndex) => lines[rowIndex] ?? 0,
      nestedColumns: this.nested,
    };
  }
}

function jsonText(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch {
    return '[nested value]';
  }
}
