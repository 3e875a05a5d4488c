/** Helpers for the dataset tests: small real-shaped samples and assertions. */
import { expect } from 'vitest';
import { BadInputError } from '../src/errors';
import { createDatasetStreamParser } from '../src/engine/io/datasets/parse';
import type { RawTable } from '../src/engine/io/datasets/table';

/** GLUE SST-2 train.tsv layout; GLUE sentences carry unbalanced quotes and trailing spaces. */
export const SST2_TSV = [
  'sentence\tlabel',
  'hide new secretions from the parental units \t0',
  'contains no wit , only labored gags \t0',
  'that loves its characters and communicates something rather beautiful about human nature \t1',
  'the film \'s " twist " is nothing new , but " it works \t1',
  '',
].join('\n');

/** GLUE MNLI dev_matched.tsv layout (a few of its columns), with an unbalanced quote. */
export const MNLI_TSV = [
  'index\tpromptID\tpairID\tgenre\tsentence1\tsentence2\tlabel1\tgold_label',
  '0\t63735\t63735n\tslate\tThe new rights are nice enough\tEveryone really likes the newest benefits \tneutral\tneutral',
  '1\t91383\t91383c\tgovernment\tThis site includes a list of all award winners and a searchable database of " Government Executive articles.\tThe Government Executive articles housed on the website are not able to be searched.\tcontradiction\tcontradiction',
  '2\t755\t755e\ttelephone\tuh i don\'t know i i have mixed emotions about him\tI like him for the most part, but would still enjoy seeing someone beat him.\tentailment\tentailment',
].join('\r\n');

export const CSV_QUOTED = 'text,label\r\n"hello, world",pos\r\n"two\r\nlines, and ""quotes""",neg\r\n\r\nplain,pos\r\n';

export const JSONL = '{"text": "good film", "label": "pos"}\n\n{"text": "bad film", "label": "neg", "extra": 3}\n{"text": "fine", "label": "pos"}\n';

export const JSON_ARRAY = '[\n  {"text": "good film", "label": 1},\n  {\n    "text": "bad [film]",\n    "label": 0\n  }\n]\n';

/** Parses `text` pushed as the given chunks. */
export function parseChunks(chunks: string[], fileName: string): RawTable {
  const parser = createDatasetStreamParser(fileName);
  for (const chunk of chunks) parser.push(chunk);
  return parser.finish();
}

/** A table as plain data (rows, their lines, nested columns), for comparisons. */
export function plain(table: RawTable) {
  return {
    format: table.format,
    columns: table.columns,
    rows: table.rows.map((row, i) => ({ line: table.lineOf(i), ...row })),
    nested: [...table.nestedColumns],
  };
}

/** The outcome of a parse: its table as plain data, or its BadInputError's message. */
export function outcome(parse: () => RawTable): { table: ReturnType<typeof plain> } | { error: string } {
  try {
    return { table: plain(parse()) };
  } catch (e) {
    if (e instanceof BadInputError) return { error: e.message };
    throw e;
  }
}

/** Asserts `run` throws a BadInputError for `file` at `where`, whose message matches every pattern. */
export function expectBadInput(run: () => unknown, file: string, where: string | null, ...patterns: RegExp[]): BadInputError {
  let caught: unknown = null;
  try {
    run();
  } catch (e) {
    caught = e;
  }
  expect(caught, 'expected a BadInputError').toBeInstanceOf(BadInputError);
  const error = caught as BadInputError;
  expect(error.file).toBe(file);
  expect(error.where).toBe(where);
  expect(error.message.startsWith(where ? `${file} (${where}): ` : `${file}: `)).toBe(true);
  for (const pattern of patterns) expect(error.message).toMatch(pattern);
  return error;
}
