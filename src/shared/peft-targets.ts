/** The linear layers LoRA can target, shared by the engine, the worker protocol and the UI's form. */

/** The six linear layers of a block, by their canonical short names. */
export const LORA_TARGETS = ['query', 'key', 'value', 'attention.output.dense', 'intermediate.dense', 'output.dense'] as const;
export type LoraTarget = (typeof LORA_TARGETS)[number];
