/** What every format parser implements, and small helpers they share. */

export interface FormatParser {
  /** Text with line breaks normalised to '\n' and no BOM. */
  push(text: string): void;
  /** Parses what is left; throws if the file holds no usable rows. */
  finish(): void;
}

/** One unfinished record (a line, or a CSV record with quoted line breaks) may not grow past this. */
export const MAX_PENDING_CHARS = 10_000_000;

export function countNewlines(text: string, from: number, to: number): number {
  let count = 0;
  for (let i = text.indexOf('\n', from); i !== -1 && i < to; i = text.indexOf('\n', i + 1)) count++;
  return count;
}
