/** The pruning-ratio options shared by `train --method light-peft` and `plan`. */
import { numberOption, RATIO } from './args';
import { UsageError } from './errors';
import { DEFAULT_RATIOS, type PlanRatios, type Scope } from '../engine/lightpeft/plan';

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
    head: numberOption(o['head-ratio'], 'head-ratio', DEFAULT_RATIOS.head, RATIO),
    ffn: numberOption(o['ffn-ratio'], 'ffn-ratio', DEFAULT_RATIOS.ffn, RATIO),
    module: numberOption(o['module-ratio'], 'module-ratio', DEFAULT_RATIOS.module, RATIO),
    rank: numberOption(o['rank-ratio'], 'rank-ratio', DEFAULT_RATIOS.rank, RATIO),
    headScope: scope(o['head-scope'], 'head-scope', DEFAULT_RATIOS.headScope),
    ffnScope: scope(o['ffn-scope'], 'ffn-scope', DEFAULT_RATIOS.ffnScope),
  };
}
