/** Typed option parsing over node:util parseArgs, with one-line errors naming the option. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './errors';

export function parseOptions<T extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: T, command: string) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values;
  } catch (e) {
    throw new UsageError(`${command}: ${(e as Error).message.split('\n')[0]}`);
  }
}

export function requireOption(value: string | undefined, name: string, command: string): string {
  if (!value) throw new UsageError(`${command}: --${name} is required`);
  return value;
}

export function numberOption(value: string | undefined, name: string, fallback: number, check: (n: number) => boolean = Number.isFinite): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (value.trim() === '' || !check(n)) throw new UsageError(`--${name} must be a valid number, got "${value}"`);
  return n;
}
