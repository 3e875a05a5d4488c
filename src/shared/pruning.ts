/** Light-PEFT's pruning ratios and their defaults, shared by the engine's plan, the CLI and the app. */

/** Whether a ratio counts per layer (every layer keeps the same number) or across all layers. */
export type Scope = 'layer' | 'global';

export interface PlanRatios {
  head: number;
  ffn: number;
  module: number;
  rank: number;
  headScope: Scope;
  ffnScope: Scope;
  /** Let pruning remove every head or FFN dimension of a layer (off by default). */
  allowEmptyLayers?: boolean;
}

/** The paper's defaults: a third of the heads (per layer) and of the FFN dimensions (globally), 75% of the PEFT modules, half of the remaining ranks. */
export const DEFAULT_RATIOS: PlanRatios = { head: 1 / 3, ffn: 1 / 3, module: 0.75, rank: 0.5, headScope: 'layer', ffnScope: 'global' };
