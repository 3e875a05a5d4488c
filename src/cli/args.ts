/** Typed option parsing over node:util parseArgs, with one-line errors naming the option. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './errors';

/** Thrown by parseOptions when the arguments ask for help: the caller prints `usage` to stdout and exits 0. */
export class HelpRequest extends Error {
  constructor(readonly usage: string) {
    super('help requested');
  }
}

/** `--help` or `-h` anywhere before a `--` terminator, whatever else the arguments hold. */
export function asksForHelp(args: string[]): boolean {
  const end = args.indexOf('--');
  return (end < 0 ? args : args.slice(0, end)).some((a) => a === '--help' || a === '-h');
}

/** A command's options; `--help`/`-h` throws a HelpRequest carrying the command's `usage` instead. */
export function parseOptions<T extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: T, command: string, usage: string) {
  if (asksForHelp(args)) throw new HelpRequest(usage);
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values;
  } catch (e) {
    throw new UsageError(`${command}: ${(e as Error).message.split('\n')[0]} (light-peft ${command} --help lists the options)`);
  }
}

export function requireOption(value: string | undefined, name: string, command: string): string {
  if (!value) throw new UsageError(`${command}: --${name} is required`);
  return value;
}

/** What a numeric option accepts, and how a message says it. */
export interface NumberRule {
  test(n: number): boolean;
  says: string;
}

const finite = Number.isFinite;
export const ANY_NUMBER: NumberRule = { test: finite, says: 'a number' };
export const INTEGER: NumberRule = { test: Number.isInteger, says: 'a whole number' };
export const POSITIVE: NumberRule = { test: (n) => finite(n) && n > 0, says: 'a number above 0' };
export const NON_NEGATIVE: NumberRule = { test: (n) => finite(n) && n >= 0, says: 'a number of at least 0' };
export const POSITIVE_INTEGER: NumberRule = { test: (n) => Number.isInteger(n) && n > 0, says: 'a whole number above 0' };
export const NON_NEGATIVE_INTEGER: NumberRule = { test: (n) => Number.isInteger(n) && n >= 0, says: 'a whole number of at least 0 (0: off)' };
export const RATIO: NumberRule = { test: (n) => finite(n) && n >= 0 && n <= 1, says: 'a number from 0 to 1' };

export const integerAtLeast = (min: number): NumberRule => ({ test: (n) => Number.isInteger(n) && n >= min, says: `a whole number of at least ${min}` });
export const integerBetween = (min: number, max: number, why = ''): NumberRule => ({
  test: (n) => Number.isInteger(n) && n >= min && n <= max,
  says: `a whole number from ${min} to ${max}${why}`,
});

export function numberOption(value: string | undefined, name: string, fallback: number, rule: NumberRule = ANY_NUMBER): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (value.trim() === '' || !rule.test(n)) throw new UsageError(`--${name} must be ${rule.says}, got "${value}"`);
  return n;
}
