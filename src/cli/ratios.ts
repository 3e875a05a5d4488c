/** The pruning-ratio options shared by `train --method light-peft` and `plan`. */
import { settingOption } from './args';
import { UsageError } from './errors';
import { DEFAULT_RATIOS, type PlanRatios, type Scope } from '../shared/pruning-plan';

export const RATIO_OPTIONS = {
  'head-ratio': { type: 'string' },
  'ffn-ratio': { type: 'string' },
  'module-ratio': { type: 'string' },
  'rank-ratio': { type: 'string' },
  'head-scope': { type: 'string' },
  'ffn-scope': { type: 'string' },
} as const;

type RatioValues = { [K in keyof typeof RATIO_OPTIONS]?: string };

export function ratiosFromOptions(o: RatioValues, command: string): PlanRatios {
  const scope = (value: string | undefined, name: string, fallback: Scope): Scope => {
    if (value === undefined) return fallback;
    if (value !== 'layer' && value !== 'global') throw new UsageError(`${command}: --${name} must be layer or global, got "${value}"`);
    return value;
  };
  return {
    head: settingOption(o, 'headRatio', DEFAULT_RATIOS.head),
    ffn: settingOption(o, 'ffnRatio', DEFAULT_RATIOS.ffn),
    module: settingOption(o, 'moduleRatio', DEFAULT_RATIOS.module),
    rank: settingOption(o, 'rankRatio', DEFAULT_RATIOS.rank),
    headScope: scope(o['head-scope'], 'head-scope', DEFAULT_RATIOS.headScope),
    ffnScope: scope(o['ffn-scope'], 'ffn-scope', DEFAULT_RATIOS.ffnScope),
  };
}
