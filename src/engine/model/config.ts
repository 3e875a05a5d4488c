/** HF config.json → the shapes the engine needs, validated with file-specific errors. */
import { BadInputError } from '../gpu/errors';

export const SUPPORTED_MODEL_TYPES = ['roberta', 'xlm-roberta', 'camembert'] as const;

export interface ModelConfig {
  modelType: string;
  vocabSize: number;
  hidden: number;
  layers: number;
  heads: number;
  headDim: number;
  intermediate: number;
  maxPositions: number;
  typeVocabSize: number;
  layerNormEps: number;
  padTokenId: number;
  hiddenDropout: number;
  attentionDropout: number;
  numLabels: number;
  id2label: string[];
  /** Per layer, when pruned: heads kept (from HF's `pruned_heads`) and FFN width (`light_peft.intermediate_sizes`). */
  layerHeads?: number[];
  layerIntermediate?: number[];
}

export function parseModelConfig(json: unknown, file = 'config.json'): ModelConfig {
  const fail = (why: string) => new BadInputError(file, null, why);
  if (typeof json !== 'object' || json === null) throw fail('is not a JSON object');
  const c = json as Record<string, unknown>;
  const modelType = String(c.model_type ?? '');
  if (!(SUPPORTED_MODEL_TYPES as readonly string[]).includes(modelType)) {
    throw fail(`unsupported model type "${modelType}"; supported: ${SUPPORTED_MODEL_TYPES.join(', ')}`);
  }
  const int = (key: string, fallback?: number): number => {
    const v = c[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw fail(`"${key}" must be a non-negative integer, got ${JSON.stringify(c[key])}`);
    return v;
  };
  const num = (key: string, fallback: number): number => {
    const v = c[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isFinite(v)) throw fail(`"${key}" must be a number, got ${JSON.stringify(c[key])}`);
    return v;
  };
  const act = c.hidden_act ?? 'gelu';
  if (act !== 'gelu') throw fail(`hidden_act "${String(act)}" is not supported; only "gelu" (exact erf) is`);
  const hidden = int('hidden_size');
  const heads = int('num_attention_heads');
  if (heads === 0 || hidden % heads !== 0) throw fail(`hidden_size ${hidden} is not divisible by num_attention_heads ${heads}`);
  const id2label = parseLabels(c, fail);
  const layers = int('num_hidden_layers');
  return {
    modelType,
    vocabSize: int('vocab_size'),
    hidden,
    layers,
    heads,
    headDim: hidden / heads,
    intermediate: int('intermediate_size'),
    maxPositions: int('max_position_embeddings'),
    typeVocabSize: int('type_vocab_size', 1),
    layerNormEps: num('layer_norm_eps', 1e-5),
    padTokenId: int('pad_token_id', 1),
    hiddenDropout: num('hidden_dropout_prob', 0.1),
    attentionDropout: num('attention_probs_dropout_prob', 0.1),
    numLabels: id2label.length,
    id2label,
    ...prunedShape(c, layers, heads, fail),
  };
}

/**
 * A Light-PEFT-pruned checkpoint: HF's `pruned_heads` ({layer: [head, …]}, which transformers also
 * reads) and our `light_peft.intermediate_sizes` (one FFN width per layer, which HF configs cannot say).
 */
function prunedShape(c: Record<string, unknown>, layers: number, heads: number, fail: (why: string) => BadInputError): Pick<ModelConfig, 'layerHeads' | 'layerIntermediate'> {
  const out: Pick<ModelConfig, 'layerHeads' | 'layerIntermediate'> = {};
  const pruned = c.pruned_heads as Record<string, unknown> | undefined;
  if (pruned && typeof pruned === 'object' && Object.keys(pruned).length > 0) {
    out.layerHeads = Array.from({ length: layers }, (_, l) => {
      const list = pruned[String(l)] ?? [];
      if (!Array.isArray(list) || !list.every((h) => Number.isInteger(h) && h >= 0 && h < heads)) throw fail(`"pruned_heads" for layer ${l} must list head indices below ${heads}`);
      return heads - new Set(list).size;
    });
  }
  const sizes = (c.light_peft as { intermediate_sizes?: unknown } | undefined)?.intermediate_sizes;
  if (sizes !== undefined) {
    if (!Array.isArray(sizes) || sizes.length !== layers || !sizes.every((n) => Number.isInteger(n) && n >= 0)) {
      throw fail(`"light_peft.intermediate_sizes" must list ${layers} non-negative integers`);
    }
    out.layerIntermediate = sizes as number[];
  }
  return out;
}

function parseLabels(c: Record<string, unknown>, fail: (why: string) => BadInputError): string[] {
  const map = c.id2label as Record<string, string> | undefined;
  if (map && typeof map === 'object') {
    const n = Object.keys(map).length;
    const labels: string[] = [];
    for (let i = 0; i < n; i++) {
      if (!(String(i) in map)) throw fail(`id2label must have keys 0..${n - 1}; key "${i}" is missing`);
      labels.push(String(map[String(i)]));
    }
    if (n >= 2) return labels;
  }
  const n = typeof c.num_labels === 'number' ? c.num_labels : 2;
  if (n < 2) throw fail(`a classifier needs at least 2 labels, config has ${n}`);
  return Array.from({ length: n }, (_, i) => `LABEL_${i}`);
}
