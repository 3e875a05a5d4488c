/**
 * Which columns hold the text, the optional second text and the label: guesses for the UI (each
 * with its reason), and the check that a chosen column exists (with the closest name offered).
 */
import { BadInputError } from '../../../errors';
import type { RawTable } from './table';
import type { ColumnChoice, ColumnGuess } from '../../../shared/datasets';

export type { ColumnChoice, ColumnGuess };

/** Compared after `normalizeName`. Earlier entries win. */
const PAIR_NAMES: [string, string][] = [
  ['sentence1', 'sentence2'],
  ['premise', 'hypothesis'],
  ['question1', 'question2'],
  ['question', 'sentence'], // QNLI
  ['question', 'passage'], // BoolQ
  ['text', 'textpair'],
  ['texta', 'textb'],
  ['text1', 'text2'],
  ['#1string', '#2string'], // MRPC
];
const TEXT_NAMES = [
  'text', 'sentence', 'content', 'review', 'reviewtext', 'document', 'body', 'message', 'tweet', 'comment',
  'utterance', 'description', 'abstract', 'question', 'premise', 'passage', 'input', 'query', 'prompt', 'sms',
  'email', 'post', 'title', 'headline',
];
const LABEL_NAMES = [
  'label', 'labels', 'goldlabel', 'class', 'category', 'target', 'y', 'sentiment', 'polarity', 'intent', 'topic',
  'emotion', 'stance', 'coarselabel', 'finelabel', 'quality', 'labeltext', 'tag',
];
/** Rows looked at when guessing; enough to see the shape of a column. */
const SAMPLE_ROWS = 2000;
const MAX_LABEL_CLASSES = 100;

function normalizeName(name: string): string {
  return name.toLowerCase().replace(/[\s_.-]+/g, '');
}

interface ColumnStats {
  name: string;
  filled: number;
  meanLength: number;
  numericShare: number;
  /** Distinct non-blank values, counted up to MAX_LABEL_CLASSES + 1. */
  distinct: number;
}

function columnStats(table: RawTable, name: string): ColumnStats {
  const rows = table.rows.length > SAMPLE_ROWS ? table.rows.slice(0, SAMPLE_ROWS) : table.rows;
  const values = new Set<string>();
  let filled = 0;
  let length = 0;
  let numeric = 0;
  for (const row of rows) {
    const value = row[name];
    if (value === null || value === undefined) continue;
    const text = String(value).trim();
    if (text === '') continue;
    filled++;
    length += text.length;
    if (typeof value === 'number' || /^[-+]?\d+(\.\d+)?$/.test(text)) numeric++;
    if (values.size <= MAX_LABEL_CLASSES) values.add(text);
  }
  return { name, filled, meanLength: filled ? length / filled : 0, numericShare: filled ? numeric / filled : 0, distinct: values.size };
}

export function guessColumns(table: RawTable): ColumnGuess {
  const usable = table.columns.filter((c) => !table.nestedColumns.has(c));
  const find = (names: string[], exclude: (string | null)[]): string | null => {
    for (const wanted of names) {
      const hit = usable.find((c) => normalizeName(c) === wanted && !exclude.includes(c));
      if (hit) return hit;
    }
    return null;
  };
  if (usable.length < 2) {
    const why =
      table.columns.length < 2
        ? `has only one column ("${table.columns[0] ?? ''}"); a dataset needs a text column and a label column, e.g. a header text,label`
        : `has only ${usable.length} column${usable.length === 1 ? '' : 's'} of plain values (${table.columns.map((c) => `"${c}"`).join(', ')} hold objects or arrays); a dataset needs a text column and a label column of strings or numbers`;
    throw new BadInputError(table.file, null, why);
  }
  const stats = new Map(usable.map((c) => [c, columnStats(table, c)]));
  const labelByName = find(LABEL_NAMES, []);

  let text: string | null = null;
  let textPair: string | null = null;
  let textReason = '';
  let pairReason = 'no second text column found (a single-text task)';
  for (const [first, second] of PAIR_NAMES) {
    const a = find([first], [labelByName]);
    const b = find([second], [labelByName, a]);
    if (a && b) {
      text = a;
      textPair = b;
      textReason = `"${a}" and "${b}" are the usual names of a text pair`;
      pairReason = textReason;
      break;
    }
  }
  if (!text) {
    text = find(TEXT_NAMES, [labelByName]);
    if (text) textReason = `"${text}" is a usual name for the text column`;
  }
  if (!text) {
    const candidates = usable.filter((c) => c !== labelByName).map((c) => stats.get(c)!);
    const wordy = candidates.filter((s) => s.numericShare < 0.5 && s.filled > 0);
    const best = (wordy.length ? wordy : candidates).reduce((a, b) => (b.meanLength > a.meanLength ? b : a));
    text = best.name;
    textReason = `"${text}" has the longest values (${Math.round(best.meanLength)} characters on average)`;
  }

  let label = labelByName;
  let labelReason = label ? `"${label}" is a usual name for the label column` : '';
  if (!label) {
    const rest = usable.filter((c) => c !== text && c !== textPair).map((c) => stats.get(c)!);
    const classLike = rest.filter((s) => s.distinct >= 2 && s.distinct <= MAX_LABEL_CLASSES && s.distinct <= Math.max(2, s.filled / 2));
    if (classLike.length) {
      // Fewest distinct values wins; on a tie the later column (labels tend to come last).
      const best = classLike.reduce((a, b) => (b.distinct <= a.distinct ? b : a));
      label = best.name;
      labelReason = `"${label}" has few distinct values (${best.distinct} in the first ${Math.min(SAMPLE_ROWS, table.rows.length)} rows)`;
    } else if (rest.length) {
      label = rest[rest.length - 1].name;
      labelReason = `no column looks like a label; "${label}" is only a guess — check it`;
    } else {
      throw new BadInputError(table.file, null, `has no column left for the label (columns: ${listColumns(table.columns)}); add a label column`);
    }
  }
  return { text, textPair, label, reasons: { text: textReason, textPair: pairReason, label: labelReason } };
}

/** Throws a BadInputError listing the columns and the closest name when `name` is not one. */
export function requireColumn(table: RawTable, name: string, role: string): void {
  if (table.columns.includes(name)) return;
  const closest = closestName(name, table.columns);
  const suggestion = closest ? `; did you mean "${closest}"?` : '';
  const headerless = table.columns.some((c) => c.length > 40 || /^[-+]?\d+(\.\d+)?$/.test(c.trim()))
    ? ` The first line (${listColumns(table.columns)}) does not look like a header: add a header line such as text,label at the top.`
    : '';
  throw new BadInputError(
    table.file,
    `column "${name}"`,
    `there is no column "${name}" for the ${role}; the columns are ${listColumns(table.columns)}${suggestion}${headerless}`,
  );
}

export function listColumns(columns: string[], max = 20): string {
  const shown = columns.slice(0, max).map((c) => `"${c.length > 40 ? `${c.slice(0, 40)}…` : c}"`);
  return shown.join(', ') + (columns.length > max ? `, … (${columns.length} in all)` : '');
}

/** The column whose name is nearest (same name but for case, else Levenshtein ≤ a third of its length, at least 2). */
export function closestName(name: string, columns: string[]): string | null {
  const wanted = normalizeName(name);
  const sameButCase = columns.find((c) => normalizeName(c) === wanted);
  if (sameButCase) return sameButCase;
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const column of columns) {
    const distance = levenshtein(wanted, normalizeName(column));
    if (distance < bestDistance) {
      best = column;
      bestDistance = distance;
    }
  }
  return best !== null && bestDistance <= Math.max(2, Math.floor(wanted.length / 3)) ? best : null;
}

function levenshtein(a: string, b: string): number {
  if (a.length > 200 || b.length > 200) return Math.max(a.length, b.length);
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}
