/** HF config.json → the shapes the engine needs, validated with file-specific errors. */
import { BadInputError } from '../../errors';

export const SUPPORTED_MODEL_TYPES = ['roberta', 'xlm-roberta', 'camembert'] as const;

/** Far above any RoBERTa-family checkpoint; they keep a corrupt config.json from allocating per-layer or per-label arrays of absurd length. */
const MAX_LAYERS = 1000;
const MAX_LABELS = 100_000;

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
  // Not String(): a JSON object with a "toString" key makes it throw a TypeError.
  const modelType = c.model_type ?? '';
  if (typeof modelType !== 'string' || !(SUPPORTED_MODEL_TYPES as readonly string[]).includes(modelType)) {
    throw fail(`unsupported model type ${show(modelType)}; supported: ${SUPPORTED_MODEL_TYPES.join(', ')}; use a RoBERTa-family checkpoint such as FacebookAI/roberta-base`);
  }
  const int = (key: string, fallback?: number): number => {
    const v = c[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw fail(`"${key}" must be a non-negative integer, got ${JSON.stringify(c[key])}; use the config.json that came with the model`);
    return v;
  };
  const num = (key: string, fallback: number): number => {
    const v = c[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isFinite(v)) throw fail(`"${key}" must be a number, got ${JSON.stringify(c[key])}; use the config.json that came with the model`);
    return v;
  };
  const act = c.hidden_act ?? 'gelu';
  if (act !== 'gelu') throw fail(`hidden_act ${show(act)} is not supported; only "gelu" (exact erf) is`);
  const hidden = int('hidden_size');
  const heads = int('num_attention_heads');
  if (heads === 0 || hidden % heads !== 0) throw fail(`hidden_size ${hidden} is not divisible by num_attention_heads ${heads}`);
  const id2label = parseLabels(c, fail);
  const layers = int('num_hidden_layers');
  if (layers < 1 || layers > MAX_LAYERS) throw fail(`"num_hidden_layers" must be from 1 to ${MAX_LAYERS}, got ${layers}; is this the config.json of the model?`);
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
  const map = c.id2label as Record<string, unknown> | undefined;
  if (map && typeof map === 'object') {
    const n = Object.keys(map).length;
    const labels: string[] = [];
    for (let i = 0; i < n; i++) {
      if (!Object.hasOwn(map, String(i))) throw fail(`id2label must have keys 0..${n - 1}; key "${i}" is missing`);
      const label = map[String(i)];
      // Names only: String() of an object can throw (a "toString" key) or give "[object Object]".
      if (typeof label !== 'string' && typeof label !== 'number') throw fail(`id2label["${i}"] must be a label name, got ${show(label)}; use the config.json that came with the model`);
      labels.push(String(label));
    }
    if (n >= 2) return labels;
  }
  const n = c.num_labels ?? 2;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 2 || n > MAX_LABELS) {
    throw fail(`"num_labels" must be an integer from 2 to ${MAX_LABELS}, got ${JSON.stringify(n)}; a classifier needs at least 2 labels`);
  }
  return Array.from({ length: n }, (_, i) => `LABEL_${i}`);
}

/** A value as it appears in a message: JSON, cut short. */
function show(value: unknown): string {
  const json = JSON.stringify(value) ?? String(value);
  return json.length > 80 ? `${json.slice(0, 77)}...` : json;
}
