/** Where PEFT modules go and what they are called (HF and HF PEFT names, so files move to Python unchanged). */

/** The six linear layers of a block, by their canonical short names. */
export const LORA_TARGETS = ['query', 'key', 'value', 'attention.output.dense', 'intermediate.dense', 'output.dense'] as const;
export type LoraTarget = (typeof LORA_TARGETS)[number];

/** HF module path of a target in layer i. `output.dense` is the FFN output only, never attention.output.dense. */
export function linearModuleName(layer: number, target: LoraTarget): string {
  const prefix = `roberta.encoder.layer.${layer}.`;
  switch (target) {
    case 'query':
    case 'key':
    case 'value':
      return `${prefix}attention.self.${target}`;
    default:
      return prefix + target;
  }
}

/** Module path of a target inside a layer (`attention.self.query`, …, `output.dense`). */
function targetPath(target: LoraTarget): string {
  return linearModuleName(0, target).slice('roberta.encoder.layer.0.'.length);
}

/** Which of the six linears a module path is (`roberta.encoder.layer.3.attention.self.query` → query), or null. */
export function targetOfModule(module: string): LoraTarget | null {
  const path = /^roberta\.encoder\.layer\.\d+\.(.+)$/.exec(module)?.[1];
  return LORA_TARGETS.find((t) => targetPath(t) === path) ?? null;
}

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * HF PEFT's `target_modules` for these targets, as a regex string (PEFT full-matches a string
 * against module names). A list would be matched by suffix, and "output.dense" would then also
 * catch attention.output.dense.
 */
export function peftTargetRegex(targets: readonly LoraTarget[]): string {
  const paths = LORA_TARGETS.filter((t) => targets.includes(t)).map((t) => escapeRegex(targetPath(t)));
  return `roberta\\.encoder\\.layer\\.\\d+\\.(${paths.join('|')})`;
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

export type AdapterSite = 'attention.output.adapter' | 'output.adapter';
export const ADAPTER_SITES: AdapterSite[] = ['attention.output.adapter', 'output.adapter'];

export function adapterModuleName(layer: number, site: AdapterSite): string {
  return `roberta.encoder.layer.${layer}.${site}`;
}

export const loraTensorName = (module: string, factor: 'A' | 'B') => `base_model.model.${module}.lora_${factor}.weight`;
export const headMaskName = (layer: number) => `roberta.encoder.layer.${layer}.attention.self.head_mask`;
export const ffnMaskName = (layer: number) => `roberta.encoder.layer.${layer}.intermediate.ffn_mask`;

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
      /** Only these modules get LoRA (a pruned adapter); all modules of the targets when absent. */
      modules?: string[];
      /** Dropout probability on the PEFT module's input while training (0 or absent: none). */
      dropout?: number;
    }
  | {
      kind: 'adapter';
      size: number;
      activation: AdapterActivation;
      /** Only these modules, with these bottleneck sizes (a pruned adapter); all, of `size`, when absent. */
      modules?: Record<string, number>;
      /** Dropout probability on the PEFT module's input while training (0 or absent: none). */
      dropout?: number;
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
