/**
 * RawTable + chosen columns → examples with integer labels.
 *
 * Decisions:
 * - Label values are compared as trimmed strings (1, "1" and " 1" are one class). Without the
 *   model's labels, ids follow a natural order: numeric labels by value, then other labels
 *   alphabetically (case-insensitive, then by code unit: the same order in every browser), so
 *   0/1 data gets ids 0/1.
 * - With the model's labels (`labelNames`, its id2label): labels must be those names, or, when
 *   none of them is, integers in [0, labelNames.length) used as ids (configs saying LABEL_0, LABEL_1).
 * - A row whose text (or text pair) is blank is skipped and reported in `skipped`; more than
 *   half the rows blank is an error (the wrong column, most likely). A row without a label is an
 *   error naming its line.
 * - A text longer than MAX_TEXT_CHARS is kept but clipped to that length and reported in
 *   `clipped`: the tokenizer keeps at most a few hundred tokens (a few thousand characters) of
 *   any text, so nothing the model would see is lost, and a long document is no reason to refuse
 *   a file. The UI shows `clipped` as a warning.
 */
import { BadInputError } from '../../../errors';
import { listColumns, requireColumn, type ColumnChoice } from './columns';
import { badInput, type CellValue, type RawTable } from './table';
import { MAX_TEXT_CHARS } from '../../../shared/datasets';

export { MAX_TEXT_CHARS };

export interface Example {
  text: string;
  textPair?: string;
  label: number;
}

export interface BuiltExamples {
  examples: Example[];
  id2label: string[];
  /** Examples per label id. */
  labelCounts: number[];
  /** Rows left out (blank text), with the reason. */
  skipped: { line: number; why: string }[];
  /** Rows whose text was longer than MAX_TEXT_CHARS and was clipped to it. */
  clipped: { line: number; chars: number }[];
}

export const MAX_CLASSES = 100;

export function buildExamples(table: RawTable, columns: ColumnChoice, options: { labelNames?: readonly string[] } = {}): BuiltExamples {
  const file = table.file;
  const textColumn = columns.text;
  const pairColumn = columns.textPair ?? null;
  const labelColumn = columns.label;
  requireColumn(table, textColumn, 'text');
  if (pairColumn !== null) requireColumn(table, pairColumn, 'text pair');
  requireColumn(table, labelColumn, 'label');
  if (labelColumn === textColumn || labelColumn === pairColumn) {
    throw new BadInputError(file, `column "${labelColumn}"`, `is chosen as both a text and the label; choose a different label column (the columns are ${listColumns(table.columns)})`);
  }
  if (pairColumn === textColumn) {
    throw new BadInputError(file, `column "${textColumn}"`, 'is chosen as both the text and the text pair; choose a different text pair column, or none');
  }
  for (const [column, role] of [[textColumn, 'text'], [pairColumn, 'text'], [labelColumn, 'labels']] as const) {
    const line = column === null ? undefined : table.nestedColumns.get(column);
    if (line !== undefined) {
      throw badInput(file, line, `column "${column}" holds JSON objects or arrays, not ${role}; choose another column, or flatten the file so that "${column}" holds plain strings`);
    }
  }

  const kept: { text: string; textPair?: string; label: string }[] = [];
  const skipped: BuiltExamples['skipped'] = [];
  const clipped: BuiltExamples['clipped'] = [];
  const firstLineOf = new Map<string, number>();
  let blankTexts = 0;
  let blankPairs = 0;
  table.rows.forEach((row, i) => {
    const line = table.lineOf(i);
    let text = cellText(row[textColumn]);
    if (text.trim() === '') {
      blankTexts++;
      skipped.push({ line, why: `blank text in column "${textColumn}"` });
      return;
    }
    let textPair: string | undefined;
    if (pairColumn !== null) {
      textPair = cellText(row[pairColumn]);
      if (textPair.trim() === '') {
        blankPairs++;
        skipped.push({ line, why: `blank text in column "${pairColumn}"` });
        return;
      }
    }
    const label = cellText(row[labelColumn]).trim();
    if (label === '') throw badInput(file, line, `has no label in column "${labelColumn}"; fill it in or delete the row`);
    if (!firstLineOf.has(label)) firstLineOf.set(label, line);
    const longest = Math.max(text.length, textPair?.length ?? 0);
    if (longest > MAX_TEXT_CHARS) {
      clipped.push({ line, chars: longest });
      text = clip(text);
      if (textPair !== undefined) textPair = clip(textPair);
    }
    kept.push(textPair === undefined ? { text, label } : { text, textPair, label });
  });

  const total = table.rows.length;
  if (skipped.length * 2 > total) {
    const column = blankPairs > blankTexts && pairColumn !== null ? pairColumn : textColumn;
    throw new BadInputError(
      file,
      `column "${column}"`,
      `${skipped.length} of ${total} rows have a blank text; is "${column}" the right column? The columns are ${listColumns(table.columns)}`,
    );
  }

  const id2label = options.labelNames ? [...options.labelNames] : naturalLabelOrder(file, labelColumn, firstLineOf, kept.length);
  const idOf = options.labelNames ? idsForModelLabels(file, options.labelNames, firstLineOf) : new Map(id2label.map((l, i) => [l, i]));
  const labelCounts = new Array<number>(id2label.length).fill(0);
  const examples = kept.map((k): Example => {
    const label = idOf.get(k.label)!;
    labelCounts[label]++;
    return k.textPair === undefined ? { text: k.text, label } : { text: k.text, textPair: k.textPair, label };
  });
  return { examples, id2label, labelCounts, skipped, clipped };
}

function cellText(value: CellValue | undefined): string {
  return value === null || value === undefined ? '' : typeof value === 'string' ? value : String(value);
}

/** Clips to MAX_TEXT_CHARS without splitting a surrogate pair. */
function clip(text: string): string {
  if (text.length <= MAX_TEXT_CHARS) return text;
  const code = text.charCodeAt(MAX_TEXT_CHARS - 1);
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? MAX_TEXT_CHARS - 1 : MAX_TEXT_CHARS);
}

const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i;

export function compareLabels(a: string, b: string): number {
  const aNumeric = NUMBER.test(a);
  const bNumeric = NUMBER.test(b);
  if (aNumeric && bNumeric) return Number(a) - Number(b) || (a < b ? -1 : a > b ? 1 : 0);
  if (aNumeric !== bNumeric) return aNumeric ? -1 : 1;
  const aLower = a.toLowerCase();
  const bLower = b.toLowerCase();
  if (aLower !== bLower) return aLower < bLower ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

function naturalLabelOrder(file: string, column: string, firstLineOf: Map<string, number>, rows: number): string[] {
  const labels = [...firstLineOf.keys()];
  const where = `column "${column}"`;
  if (labels.length === 1) {
    const only = labels[0];
    const hint = only === '-1' ? ' (a test split exported without labels has -1 on every row)' : '';
    throw new BadInputError(
      file,
      where,
      `has only one class ("${only}" on all ${rows} rows)${hint}; a classifier needs at least 2 classes: add examples of the other classes, or choose another label column`,
    );
  }
  if (labels.length > MAX_CLASSES) {
    const sample = labels.slice(0, 3).map((l) => `"${l.length > 30 ? `${l.slice(0, 30)}…` : l}"`).join(', ');
    throw new BadInputError(
      file,
      where,
      `has ${labels.length} distinct values (${sample}, …), more than the ${MAX_CLASSES} classes allowed; it looks like a text or id column: choose another label column`,
    );
  }
  return labels.sort(compareLabels);
}

function idsForModelLabels(file: string, labelNames: readonly string[], firstLineOf: Map<string, number>): Map<string, number> {
  const byName = new Map<string, number>();
  labelNames.forEach((name, id) => {
    if (!byName.has(name)) byName.set(name, id);
  });
  const labels = [...firstLineOf.keys()];
  if (labels.every((l) => byName.has(l))) return byName;
  // Integer labels as ids, when the model's names are not used at all (e.g. LABEL_0, LABEL_1).
  if (labels.every((l) => /^\d+$/.test(l) && Number(l) < labelNames.length && !byName.has(l))) {
    return new Map(labels.map((l) => [l, Number(l)]));
  }
  const unknown = labels.filter((l) => !byName.has(l)).sort((a, b) => firstLineOf.get(a)! - firstLineOf.get(b)!)[0];
  const caseMatch = labelNames.find((n) => n.toLowerCase() === unknown.toLowerCase());
  const known = labelNames.map((n) => `"${n}"`).join(', ');
  throw badInput(
    file,
    firstLineOf.get(unknown)!,
    `has the label "${unknown}", which is not one of the model's labels (${known})${caseMatch ? `; did you mean "${caseMatch}"?` : ''}; ` +
      "relabel the data with the model's labels, or train a new classification head",
  );
}
