/**
 * Dataset files in, validated examples out: parse (CSV, TSV, JSONL, JSON; whole or streamed),
 * guess and check columns, map labels to ids, split train/validation, summarise for the UI.
 * Runs in the browser worker and in Node: text or bytes in, no file system, no DOM.
 */
export { decodeUtf8, createUtf8StreamDecoder, type Utf8StreamDecoder } from './utf8';
export {
  parseDatasetText,
  parseDatasetBytes,
  createDatasetStreamParser,
  readDatasetStream,
  datasetFormatOf,
  type DatasetProgress,
  type DatasetStreamParser,
} from './parse';
export type { RawTable, RawRow, CellValue, DatasetFormat } from './table';
export { guessColumns, requireColumn, closestName, type ColumnChoice, type ColumnGuess } from './columns';
export { buildExamples, compareLabels, MAX_TEXT_CHARS, MAX_CLASSES, type Example, type BuiltExamples } from './labels';
export { splitTrainValidation, type SplitOptions } from './split';
export { preview, labelBalance, type TablePreview, type LabelBalance } from './summary';
