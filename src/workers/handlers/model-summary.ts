/** Figures about a built model for the UI. */
import type { ModelConfig } from '../../engine/model/config';
import type { PeftConfig } from '../../engine/model/peft';

/** RoBERTa numbers positions from pad_token_id + 1, so the table holds max_position_embeddings − pad − 1 tokens. */
export function maxTokensOf(config: ModelConfig): number {
  return Math.max(0, config.maxPositions - config.padTokenId - 1);
}

export function describePeft(peft: PeftConfig): string {
  if (peft.kind === 'lora') return `LoRA r=${peft.rank}, α=${peft.alpha} on ${peft.targets.join(', ')}`;
  return `Bottleneck adapters of size ${peft.size} (${peft.activation})`;
}
