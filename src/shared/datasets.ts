/**
 * The dataset shapes and limits the engine, the worker protocol and the UI share (pure data: the
 * parsers that fill them are in src/engine/io/datasets).
 */

export type DatasetFormat = 'csv' | 'tsv' | 'jsonl' | 'json';
export type CellValue = string | number | boolean | null;

export interface TablePreview {
  file: string;
  format: DatasetFormat;
  columns: string[];
  totalRows: number;
  rows: { line: number; values: Record<string, CellValue> }[];
}

export interface ColumnChoice {
  text: string;
  textPair?: string | null;
  label: string;
}

export interface ColumnGuess {
  text: string;
  textPair: string | null;
  label: string;
  /** Why each column was picked, in words for the UI. */
  reasons: { text: string; textPair: string; label: string };
}

export interface LabelBalance {
  total: number;
  classes: { id: number; label: string; count: number; fraction: number }[];
  /** Accuracy of always answering the most common class: the bar a model has to clear. */
  majorityFraction: number;
}

/** Longer texts are kept but clipped to this many UTF-16 code units (and reported). */
export const MAX_TEXT_CHARS = 100_000;
