/** Typed option parsing over node:util parseArgs, with one-line errors naming the option. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './errors';
import { ANY_NUMBER, settingFlag, settingRule, type ModelLimits, type NumberRule, type SettingName } from '../engine/train/checks';

// What numeric options accept: the engine's rules (one table for the CLI and the app), worded here per option.
export {
  ANY_NUMBER,
  INTEGER,
  integerAtLeast,
  integerBetween,
  NON_NEGATIVE,
  NON_NEGATIVE_INTEGER,
  POSITIVE,
  POSITIVE_INTEGER,
  RATIO,
  type NumberRule,
} from '../engine/train/checks';

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

export function numberOption(value: string | undefined, name: string, fallback: number, rule: NumberRule = ANY_NUMBER): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (value.trim() === '' || !rule.test(n)) throw new UsageError(`--${name} must be ${rule.says}, got "${value}"`);
  return n;
}

/** A setting of the engine's rule table from its option (`--batch-size` for batchSize), or `fallback` when absent. */
export function settingOption(values: Readonly<Record<string, unknown>>, name: SettingName, fallback: number, limits?: ModelLimits): number {
  const flag = settingFlag(name);
  const value = values[flag];
  return numberOption(typeof value === 'string' ? value : undefined, flag, fallback, settingRule(name, limits));
}
