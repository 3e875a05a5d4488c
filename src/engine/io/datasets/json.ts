/**
 * JSON Lines (one object per line, parsed as lines complete) and JSON (an array of objects, or
 * an object holding one such array, e.g. {"data": [...]}; parsed whole at finish). A `.json`
 * file that is really JSON Lines — what the Hugging Face `datasets` library writes by default —
 * is read as JSON Lines.
 */
import { badInput, describeValue, type TableBuilder } from './table';
import { MAX_PENDING_CHARS, type FormatParser } from './format';

const ROW_EXAMPLE = '{"text": "…", "label": "…"}';

export class JsonlParser implements FormatParser {
  private pending = '';
  private line = 1; // line where `pending` starts
  private firstLine = true;

  constructor(private readonly table: TableBuilder) {}

  push(text: string): void {
    const input = this.pending + text;
    let start = 0;
    for (let end = input.indexOf('\n'); end !== -1; end = input.indexOf('\n', start)) {
      this.parseLine(input.substring(start, end));
      this.line++;
      start = end + 1;
    }
    this.pending = input.substring(start);
    if (this.pending.length > MAX_PENDING_CHARS) {
      throw badInput(this.table.file, this.line, `this line is longer than ${MAX_PENDING_CHARS.toLocaleString('en')} characters; JSON Lines needs one example per line`);
    }
  }

  finish(): void {
    this.parseLine(this.pending);
    this.pending = '';
    if (this.table.rowCount === 0) throw badInput(this.table.file, null, `holds no rows; write one JSON object per line, such as ${ROW_EXAMPLE}`);
  }

  private parseLine(text: string): void {
    const trimmed = text.trim();
    if (trimmed === '') return;
    const first = this.firstLine;
    this.firstLine = false;
    let value: unknown;
    try {
      value = JSON.parse(trimmed);
    } catch (e) {
      const hint = first && trimmed.startsWith('[') ? 'the file looks like one JSON array: rename it to .json' : `each line must hold one complete JSON object such as ${ROW_EXAMPLE}`;
      throw badInput(this.table.file, this.line, `is not valid JSON (${shortMessage(e)}); ${hint}`);
    }
    this.table.addObject(value, this.line, 'the line');
  }
}

export class JsonParser implements FormatParser {
  private chunks: string[] = [];

  constructor(private readonly table: TableBuilder) {}

  push(text: string): void {
    this.chunks.push(text);
  }

  finish(): void {
    const text = this.chunks.join('');
    this.chunks = [];
    let root: unknown;
    try {
      root = JSON.parse(text);
    } catch (e) {
      if (looksLikeJsonLines(text)) {
        this.table.format = 'jsonl';
        const lines = new JsonlParser(this.table);
        lines.push(text);
        lines.finish();
        return;
      }
      throw badInput(
        this.table.file,
        errorLine(e, text),
        `is not valid JSON (${shortMessage(e)}); the file must be an array of objects such as [${ROW_EXAMPLE}, …], or JSON Lines saved as .jsonl`,
      );
    }
    const { rows, key } = this.locateRows(root);
    const offsets = elementOffsets(text, key);
    const lines = offsets.length === rows.length ? offsetsToLines(text, offsets) : rows.map(() => 1);
    rows.forEach((row, i) => this.table.addObject(row, lines[i], `item ${i + 1} of the array`));
  }

  private locateRows(root: unknown): { rows: unknown[]; key: string | null } {
    const file = this.table.file;
    if (Array.isArray(root)) {
      if (root.length === 0) throw badInput(file, null, `holds an empty array; add one object per example, such as ${ROW_EXAMPLE}`);
      return { rows: root, key: null };
    }
    if (typeof root !== 'object' || root === null) {
      throw badInput(file, null, `holds ${describeValue(root)}, not a list of examples; the file must be an array of objects such as [${ROW_EXAMPLE}, …]`);
    }
    const record = root as Record<string, unknown>;
    const keys = Object.keys(record);
    const arrays = keys.filter((k) => Array.isArray(record[k]));
    const key = Object.prototype.hasOwnProperty.call(record, 'data') && Array.isArray(record.data) ? 'data' : arrays.length === 1 ? arrays[0] : null;
    if (key === null) {
      const shown = keys.slice(0, 8).map((k) => `"${k}"`).join(', ') + (keys.length > 8 ? ', …' : '');
      const why =
        arrays.length > 1
          ? `holds an object of several arrays (${shown}); write one object per example instead: [${ROW_EXAMPLE}, …]`
          : `holds a single object (keys ${shown || 'none'}), not a list of examples; use an array of objects [${ROW_EXAMPLE}, …] or {"data": [...]}`;
      throw badInput(file, null, why);
    }
    const rows = record[key] as unknown[];
    if (rows.length === 0) throw badInput(file, null, `"${key}" is an empty array; add one object per example, such as ${ROW_EXAMPLE}`);
    return { rows, key };
  }
}

function shortMessage(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  return message.length > 100 ? `${message.slice(0, 100)}…` : message;
}

/** V8 and SpiderMonkey name the position of a JSON syntax error; turn it into a line. */
function errorLine(e: unknown, text: string): number | null {
  const message = e instanceof Error ? e.message : '';
  const line = /line (\d+)/.exec(message);
  if (line) return Number(line[1]);
  const position = /position (\d+)/.exec(message);
  if (!position) return null;
  return offsetsToLines(text, [Math.min(Number(position[1]), text.length)])[0];
}

function looksLikeJsonLines(text: string): boolean {
  const trimmed = text.trimStart();
  const end = trimmed.indexOf('\n');
  if (!trimmed.startsWith('{') || end === -1) return false;
  try {
    const first: unknown = JSON.parse(trimmed.slice(0, end));
    return typeof first === 'object' && first !== null && !Array.isArray(first);
  } catch {
    return false;
  }
}

/**
 * Character offsets where the elements of the rows array start: the root array (key null) or
 * the array under `key` in the root object. `text` is known to be valid JSON.
 */
export function elementOffsets(text: string, key: string | null): number[] {
  const QUOTE = 0x22, BACKSLASH = 0x5c, OPEN_OBJ = 0x7b, CLOSE_OBJ = 0x7d, OPEN_ARR = 0x5b, CLOSE_ARR = 0x5d, COMMA = 0x2c;
  let offsets: number[] = [];
  const stack: number[] = []; // open containers
  let keyNext = false; // inside an object, the next string is a key
  let rootKey: string | null = null; // the root object's key whose value comes next
  let targetDepth = -1; // stack depth inside the rows array
  let expectElement = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) continue;
    if (expectElement) {
      expectElement = false;
      if (c !== CLOSE_ARR) offsets.push(i);
    }
    switch (c) {
      case QUOTE: {
        let j = i + 1;
        while (j < text.length && text.charCodeAt(j) !== QUOTE) j += text.charCodeAt(j) === BACKSLASH ? 2 : 1;
        if (keyNext && stack.length === 1) rootKey = JSON.parse(text.slice(i, j + 1)) as string;
        keyNext = false;
        i = j;
        break;
      }
      case OPEN_OBJ:
        stack.push(c);
        keyNext = true;
        break;
      case OPEN_ARR:
        if ((key === null && stack.length === 0) || (key !== null && stack.length === 1 && stack[0] === OPEN_OBJ && rootKey === key)) {
          offsets = []; // a repeated key: JSON.parse keeps the last one, so do we
          targetDepth = stack.length + 1;
          expectElement = true;
        }
        stack.push(c);
        break;
      case CLOSE_ARR:
      case CLOSE_OBJ:
        if (stack.length === targetDepth) targetDepth = -1;
        stack.pop();
        break;
      case COMMA:
        if (stack[stack.length - 1] === OPEN_OBJ) keyNext = true;
        else if (stack.length === targetDepth) expectElement = true;
        break;
    }
  }
  return offsets;
}

/** 1-based lines of ascending character offsets. */
function offsetsToLines(text: string, offsets: number[]): number[] {
  const lines: number[] = [];
  let line = 1;
  let at = 0;
  for (const offset of offsets) {
    for (let nl = text.indexOf('\n', at); nl !== -1 && nl < offset; nl = text.indexOf('\n', nl + 1)) {
      line++;
      at = nl + 1;
    }
    lines.push(line);
  }
  return lines;
}
