/**
 * What each training setting accepts: one rule table for the CLI and the app. A rule knows its
 * test and how to say what it accepts; the app words a bad value as a sentence naming the setting
 * ("The batch size must be a whole number from 1 to 1024, got 0."), the CLI names its option
 * (`--batch-size must be …, got "0"`).
 */
import { LORA_TARGETS } from '../model/peft';
import { SettingError } from '../../errors';
import { LIMITS } from './defaults';

/** What a numeric setting accepts, and how a message says it. */
export interface NumberRule {
  test(n: number): boolean;
  says: string;
}

const finite = Number.isFinite;
/** 10,000 and above with thousands separators ("1,000,000"), smaller numbers as they are ("1024"). */
const shown = (n: number) => (Math.abs(n) >= 10_000 ? n.toLocaleString('en-US') : String(n));

export const ANY_NUMBER: NumberRule = { test: finite, says: 'a number' };
export const INTEGER: NumberRule = { test: Number.isSafeInteger, says: 'a whole number' };
export const POSITIVE: NumberRule = { test: (n) => finite(n) && n > 0, says: 'a number above 0' };
export const NON_NEGATIVE: NumberRule = { test: (n) => finite(n) && n >= 0, says: 'a number of at least 0' };
export const POSITIVE_INTEGER: NumberRule = { test: (n) => Number.isInteger(n) && n > 0, says: 'a whole number above 0' };
export const NON_NEGATIVE_INTEGER: NumberRule = { test: (n) => Number.isInteger(n) && n >= 0, says: 'a whole number of at least 0 (0: off)' };
export const RATIO: NumberRule = { test: (n) => finite(n) && n >= 0 && n <= 1, says: 'a number from 0 to 1' };

export const integerAtLeast = (min: number): NumberRule => ({ test: (n) => Number.isInteger(n) && n >= min, says: `a whole number of at least ${shown(min)}` });
export const integerBetween = (min: number, max: number, why = ''): NumberRule => ({
  test: (n) => Number.isInteger(n) && n >= min && n <= max,
  says: `a whole number from ${shown(min)} to ${shown(max)}${why}`,
});

/** What the model and data allow, for the rules that depend on them. */
export interface ModelLimits {
  /** Longest input the position table allows. */
  maxTokens: number;
  hidden: number;
  /** The data has text pairs (4 special tokens instead of 2). */
  pairs?: boolean;
}

/** Every numeric setting: how the app names it, the CLI option, and its rule. */
const SETTINGS = {
  steps: { label: 'Steps', flag: 'steps', rule: () => integerBetween(1, LIMITS.maxSteps) },
  estimateSteps: { label: 'Estimation steps', flag: 'estimate-steps', rule: () => integerBetween(1, LIMITS.maxSteps) },
  epochs: { label: 'Epochs', flag: 'epochs', rule: () => POSITIVE },
  batchSize: { label: 'The batch size', flag: 'batch-size', rule: () => integerBetween(1, LIMITS.maxBatchSize) },
  lr: { label: 'The learning rate', flag: 'lr', rule: () => ({ test: (n: number) => finite(n) && n > 0 && n < 1, says: 'a number above 0 and below 1 (e.g. 3e-4)' }) },
  warmupRatio: { label: 'The warm-up ratio', flag: 'warmup-ratio', rule: () => WARMUP },
  estimateWarmupRatio: { label: 'The estimation warm-up ratio', flag: 'estimate-warmup-ratio', rule: () => WARMUP },
  weightDecay: { label: 'The weight decay', flag: 'weight-decay', rule: () => NON_NEGATIVE },
  maxLength: {
    label: 'Max length',
    flag: 'max-length',
    rule: (m?: ModelLimits) => (m ? integerBetween(m.pairs ? 6 : 3, m.maxTokens, " (the longest input this model's position table allows)") : integerAtLeast(3)),
  },
  seed: { label: 'The seed', flag: 'seed', rule: () => INTEGER },
  checkpointEvery: { label: '“Checkpoint every”', flag: 'checkpoint-every', rule: () => ({ ...integerBetween(1, LIMITS.maxSteps), says: 'a whole number of steps, at least 1' }) },
  evalEvery: { label: '“Evaluate every”', flag: 'eval-every', rule: () => ({ ...integerBetween(0, LIMITS.maxSteps), says: 'a whole number of steps, 0 or more (0: only at the end)' }) },
  logEvery: { label: '“Log every”', flag: 'log-every', rule: () => integerBetween(1, LIMITS.maxSteps) },
  maxGradNorm: { label: 'The gradient-norm limit', flag: 'max-grad-norm', rule: () => ({ ...NON_NEGATIVE, says: 'a number of at least 0 (0: no clipping)' }) },
  loraRank: { label: 'The LoRA rank r', flag: 'lora-r', rule: (m?: ModelLimits) => (m ? integerBetween(1, m.hidden, ' (the hidden size)') : POSITIVE_INTEGER) },
  loraAlpha: { label: 'LoRA alpha', flag: 'lora-alpha', rule: () => ({ ...POSITIVE, says: 'a number above 0 (e.g. 16)' }) },
  adapterSize: { label: 'The adapter size', flag: 'adapter-size', rule: (m?: ModelLimits) => (m ? integerBetween(1, 4 * m.hidden) : POSITIVE_INTEGER) },
  lambdaHead: { label: 'λ for head masks', flag: 'lambda-head', rule: () => NON_NEGATIVE },
  lambdaFfn: { label: 'λ for FFN masks', flag: 'lambda-ffn', rule: () => NON_NEGATIVE },
  maskLrMultiplier: { label: 'The mask learning-rate multiplier', flag: 'mask-lr-multiplier', rule: () => POSITIVE },
  validationFraction: { label: 'The validation share', flag: 'validation-fraction', rule: () => ({ test: (n: number) => n > 0 && n < 1, says: 'a number between 0 and 1 (e.g. 0.1)' }) },
  headRatio: { label: 'The head pruning ratio', flag: 'head-ratio', rule: () => RATIO },
  ffnRatio: { label: 'The FFN pruning ratio', flag: 'ffn-ratio', rule: () => RATIO },
  moduleRatio: { label: 'The module pruning ratio', flag: 'module-ratio', rule: () => RATIO },
  rankRatio: { label: 'The rank pruning ratio', flag: 'rank-ratio', rule: () => RATIO },
  snapshotEvery: { label: '“Snapshot every”', flag: 'snapshot-every', rule: () => ({ ...integerBetween(1, LIMITS.maxSteps), says: 'a whole number of steps, at least 1' }) },
} satisfies Record<string, { label: string; flag: string; rule: (m?: ModelLimits) => NumberRule }>;

const WARMUP: NumberRule = { test: (n) => finite(n) && n >= 0 && n < 1, says: 'a number from 0 to below 1' };

export type SettingName = keyof typeof SETTINGS;

/** A setting outside what it accepts: which one, what it accepts and what it got. */
export { SettingError };

/** The rule of a setting (with the model's limits where it depends on them). */
export function settingRule(name: SettingName, limits?: ModelLimits): NumberRule {
  return SETTINGS[name].rule(limits);
}

/** The CLI option of a setting, without its dashes. */
export function settingFlag(name: SettingName): string {
  return SETTINGS[name].flag;
}

/** `value` when the setting accepts it; otherwise a SettingError in the app's words. */
export function checkSetting(name: SettingName, value: number, limits?: ModelLimits): number {
  const rule = settingRule(name, limits);
  if (!rule.test(value)) throw new SettingError(`${SETTINGS[name].label} must be ${rule.says}, got ${value}.`, name, rule.says, value);
  return value;
}

/** LoRA targets: at least one, each one of the six linears. */
export function checkLoraTargets(targets: readonly string[]): void {
  if (targets.length === 0) throw new SettingError(`Choose at least one LoRA target: ${LORA_TARGETS.join(', ')}.`);
  const unknown = targets.find((t) => !(LORA_TARGETS as readonly string[]).includes(t));
  if (unknown !== undefined) throw new SettingError(`Unknown LoRA target "${unknown}"; targets: ${LORA_TARGETS.join(', ')}.`);
}
