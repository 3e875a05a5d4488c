/** Where PEFT modules go and what they are called (HF and HF PEFT names, so files move to Python unchanged). */

import { BASE_MODEL_PREFIX, LORA_TARGETS, linearModuleName, targetPath, type LoraTarget } from './names';

// The configuration's vocabulary; the names themselves live in names.ts.
export { LORA_TARGETS, type LoraTarget };

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * HF PEFT's `target_modules` for these targets, as a regex string (PEFT full-matches a string
 * against module names). A list would be matched by suffix, and "output.dense" would then also
 * catch attention.output.dense.
 */
export function peftTargetRegex(targets: readonly LoraTarget[]): string {
  const paths = LORA_TARGETS.filter((t) => targets.includes(t)).map((t) => escapeRegex(targetPath(t)));
  return `${escapeRegex(`${BASE_MODEL_PREFIX}encoder.layer.`)}\\d+\\.(${paths.join('|')})`;
}

/**
 * Which of the six linears an HF PEFT `target_modules` selects: a string is a regex full-matched
 * against module names; a list matches a module equal to an entry or ending in "." + entry.
 * Returns null for a value of another type.
 */
export function targetsFromPeftConfig(targetModules: unknown): LoraTarget[] | null {
  const module = (t: LoraTarget) => linearModuleName(0, t);
  if (typeof targetModules === 'string') {
    let pattern: RegExp;
    try {
      pattern = new RegExp(`^(?:${targetModules})$`);
    } catch {
      return null;
    }
    return LORA_TARGETS.filter((t) => pattern.test(module(t)));
  }
  if (Array.isArray(targetModules) && targetModules.every((x) => typeof x === 'string')) {
    return LORA_TARGETS.filter((t) => targetModules.some((entry: string) => module(t) === entry || module(t).endsWith(`.${entry}`)));
  }
  return null;
}

/** A module's value from an HF PEFT pattern map: keys match as PEFT does, `(.*\.)?key$` on the module name. */
export function patternValue(pattern: Record<string, number> | undefined, module: string, fallback: number): number {
  if (!pattern) return fallback;
  for (const [key, value] of Object.entries(pattern)) {
    if (module === key || module.endsWith(`.${key}`)) return value;
    try {
      if (new RegExp(`^(?:.*\\.)?(?:${key})$`).test(module)) return value;
    } catch {
      // not a regex: only the exact and suffix matches above apply
    }
  }
  return fallback;
}

export type AdapterActivation = 'relu' | 'gelu';

export type PeftConfig =
  | {
      kind: 'lora';
      rank: number;
      alpha: number;
      targets: LoraTarget[];
      /** HF PEFT per-module overrides (module-name pattern → value), e.g. ranks left by Light-PEFT pruning. */
      rankPattern?: Record<string, number>;
      alphaPattern?: Record<string, number>;
      /**
       * Dropout on the LoRA path's input in training mode, y = Wx + b + s·B·A·dropout(x), as HF
       * PEFT's `lora_dropout` (the Light-PEFT paper's scripts use 0.05). 0 when absent.
       */
      dropout?: number;
      /** Only these modules get LoRA (a pruned adapter); all modules of the targets when absent. */
      modules?: string[];
    }
  | {
      kind: 'adapter';
      size: number;
      activation: AdapterActivation;
      /**
       * Dropout on the adapter's input in training mode, y + up(act(down(dropout(y)))), as the
       * Light-PEFT paper's `adapter_dropout` (0.1 in its scripts). 0 when absent.
       */
      dropout?: number;
      /** Only these modules, with these bottleneck sizes (a pruned adapter); all, of `size`, when absent. */
      modules?: Record<string, number>;
    };

/** Parses a comma-separated target list, rejecting unknown names with the list of valid ones. */
export function parseLoraTargets(list: string): LoraTarget[] {
  const names = list.split(',').map((s) => s.trim()).filter(Boolean);
  for (const name of names) {
    if (!(LORA_TARGETS as readonly string[]).includes(name)) {
      throw new Error(`unknown LoRA target "${name}"; valid targets: ${LORA_TARGETS.join(', ')}`);
    }
  }
  if (names.length === 0) throw new Error(`no LoRA targets given; valid targets: ${LORA_TARGETS.join(', ')}`);
  return names as LoraTarget[];
}
