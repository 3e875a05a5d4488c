/** What the UI shows before training: the first rows of a file and the label balance. */
import type { Example } from './labels';
import type { RawTable } from './table';
import type { LabelBalance, TablePreview } from '../../../shared/datasets';

export type { LabelBalance, TablePreview };

export function preview(table: RawTable, n = 5): TablePreview {
  const rows = table.rows.slice(0, Math.max(0, n)).map((row, i) => ({ line: table.lineOf(i), values: { ...row } }));
  return { file: table.file, format: table.format, columns: [...table.columns], totalRows: table.rows.length, rows };
}

export function labelBalance(examples: readonly Pick<Example, 'label'>[], id2label: readonly string[]): LabelBalance {
  const counts = new Array<number>(id2label.length).fill(0);
  for (const e of examples) counts[e.label] = (counts[e.label] ?? 0) + 1;
  const total = examples.length;
  const classes = counts.map((count, id) => ({ id, label: id2label[id] ?? String(id), count, fraction: total ? count / total : 0 }));
  const majority = counts.length ? Math.max(...counts) : 0;
  return { total, classes, majorityFraction: total ? majority / total : 0 };
}
