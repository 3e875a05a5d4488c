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
  | { kind: 'lora'; rank: number; alpha: number; targets: LoraTarget[] }
  | { kind: 'adapter'; size: number; activation: AdapterActivation };

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
