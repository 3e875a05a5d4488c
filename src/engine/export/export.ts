/**
 * Trained PEFT weights out, in the formats Python reads: an HF PEFT LoRA directory
 * (adapter_config.json + adapter_model.safetensors, classifier as modules_to_save), or our
 * bottleneck-adapter directory in the same layout. A zip of any file set for browser downloads.
 */
import { zipSync } from 'fflate';
import type { RobertaModel } from '../model/roberta';
import type { AdapterModule, LoraModule } from '../model/params';
import { linearsOf } from '../model/params';
import type { PruningPlan } from '../../shared/pruning-plan';
import { peftTargetRegex } from '../model/peft';
import {
  adapterTensorName,
  biasName,
  CLASSIFIER_MODULE,
  CLASSIFIER_TENSORS,
  EMBEDDING_NORM,
  EMBEDDING_TENSORS,
  layerNormName,
  LORA_TARGETS,
  linearModuleName,
  loraTensorName,
  peftModelName,
  weightName,
  type LoraTarget,
} from '../model/names';
import { writeSafetensors } from '../io/safetensors';

export interface ExportedFile {
  name: string;
  bytes: Uint8Array;
}

const HEAD_KEYS = ['denseWeight', 'denseBias', 'outWeight', 'outBias'] as const;

/** `baseModel`/`revision`: the Hub id (or folder) and revision the adapter was trained on, for PEFT's base_model_name_or_path and revision. */
export async function exportPeftAdapter(model: RobertaModel, options: { baseModel?: string | null; revision?: string } = {}): Promise<ExportedFile[]> {
  const { ctx } = model;
  const tensors: Array<[string, { data: Float32Array; shape: number[] }]> = [];
  const put = async (name: string, t: { shape: readonly number[] } & Parameters<typeof ctx.read>[0]) =>
    tensors.push([name, { data: await ctx.read(t), shape: [...t.shape] }]);
  const modules = model.peftModules();
  let config: Record<string, unknown>;
  const loras = modules.filter((m): m is LoraModule => m.kind === 'lora');
  if (loras.length > 0 || modules.length === 0) {
    for (const m of loras) {
      await put(loraTensorName(m.module, 'A'), m.A);
      await put(loraTensorName(m.module, 'B'), m.B);
    }
    config = loraConfig(model, loras, options.baseModel ?? null, options.revision ?? null);
  } else {
    const adapters = modules.filter((m): m is AdapterModule => m.kind === 'adapter');
    for (const m of adapters) {
      await put(adapterTensorName(m.module, 'down'), m.w.downWeight);
      await put(adapterTensorName(m.module, 'up'), m.w.upWeight);
    }
    config = adapterConfig(adapters, options.baseModel ?? null, options.revision ?? null);
  }
  for (const key of HEAD_KEYS) await put(peftModelName(CLASSIFIER_TENSORS[key]), model.classifier.w[key]);
  return [
    { name: 'adapter_config.json', bytes: new TextEncoder().encode(JSON.stringify(config, null, 2) + '\n') },
    // The head's label names ride in the safetensors metadata, which PEFT ignores.
    { name: 'adapter_model.safetensors', bytes: writeSafetensors(tensors, { format: 'pt', id2label: JSON.stringify(model.config.id2label) }) },
  ];
}

/**
 * HF PEFT LoraConfig. `r`/`lora_alpha` are the most common rank and its alpha; modules whose rank
 * differs (Light-PEFT rank pruning) get `rank_pattern` and an `alpha_pattern` that keeps their
 * scale alpha/r unchanged. `target_modules` names exactly the modules that exist.
 */
function loraConfig(model: RobertaModel, loras: LoraModule[], baseModel: string | null, revision: string | null): Record<string, unknown> {
  const counts = new Map<number, number>();
  for (const m of loras) counts.set(m.rank, (counts.get(m.rank) ?? 0) + 1);
  const r = [...counts.entries()].sort((a, b) => b[1] - a[1] || b[0] - a[0])[0]?.[0] ?? 8;
  const scale = loras.find((m) => m.rank === r)?.scale ?? 2;
  const rankPattern: Record<string, number> = {};
  const alphaPattern: Record<string, number> = {};
  for (const m of loras) {
    if (m.rank !== r) rankPattern[m.module] = m.rank;
    if (m.rank !== r || m.scale !== scale) alphaPattern[m.module] = m.scale * m.rank;
  }
  return {
    peft_type: 'LORA',
    task_type: 'SEQ_CLS',
    r,
    lora_alpha: scale * r,
    lora_dropout: loras[0]?.dropout ?? 0,
    target_modules: targetModulesOf(model, loras),
    rank_pattern: rankPattern,
    alpha_pattern: alphaPattern,
    bias: 'none',
    modules_to_save: [CLASSIFIER_MODULE],
    base_model_name_or_path: baseModel,
    revision,
  };
}

/**
 * Our bottleneck-adapter config: the most common bottleneck size (pruned modules keep fewer units;
 * the file's tensors say how many), the activation, and the adapter dropout, as the Light-PEFT
 * paper's `adapter_dropout`. `bias: "none"`: the projections have no biases.
 */
function adapterConfig(adapters: AdapterModule[], baseModel: string | null, revision: string | null): Record<string, unknown> {
  const first = adapters[0];
  return {
    peft_type: 'BOTTLENECK_ADAPTER',
    task_type: 'SEQ_CLS',
    adapter_size: first?.w.size ?? 0,
    adapter_act: first?.w.activation ?? 'relu',
    adapter_dropout: first?.dropout ?? 0,
    bias: 'none',
    modules_to_save: [CLASSIFIER_MODULE],
    base_model_name_or_path: baseModel,
    revision,
  };
}

/** The compact per-target regex when every layer has the same targets, else every module by name. */
function targetModulesOf(model: RobertaModel, loras: LoraModule[]): string {
  const present = new Set(loras.map((m) => m.module));
  const targets: LoraTarget[] = LORA_TARGETS.filter((t) => present.has(linearModuleName(0, t)));
  const uniform = model.layers.every((layer) => LORA_TARGETS.every((t) => present.has(linearModuleName(layer.index, t)) === targets.includes(t)));
  if (uniform && targets.length > 0) return peftTargetRegex(targets);
  return `(${[...present].map((name) => name.replace(/\./g, '\\.')).join('|')})`;
}

/** A zip archive of files (stored under `folder/` when given). */
export function zipFiles(files: ExportedFile[], folder = ''): Uint8Array {
  const prefix = folder ? `${folder.replace(/\/+$/, '')}/` : '';
  return zipSync(Object.fromEntries(files.map((f) => [prefix + f.name, f.bytes])));
}

/**
 * The pruned base model as a checkpoint folder: config.json (HF's `pruned_heads`, which
 * transformers reads, plus `light_peft.intermediate_sizes`, which only this app reads: HF configs
 * cannot give layers different FFN widths), model.safetensors with the surviving weights and the
 * trained classification head, and pruning.json listing exactly what was removed.
 */
export async function exportPrunedModel(model: RobertaModel, plan: PruningPlan): Promise<ExportedFile[]> {
  const { ctx, config } = model;
  const tensors: Array<[string, { data: Float32Array; shape: number[] }]> = [];
  const put = async (name: string, t: { shape: readonly number[] } & Parameters<typeof ctx.read>[0]) =>
    tensors.push([name, { data: await ctx.read(t), shape: [...t.shape] }]);
  const e = model.embeddings;
  tensors.push([EMBEDDING_TENSORS.word, { data: e.word.data, shape: [e.word.rows, e.word.cols] }]);
  await put(EMBEDDING_TENSORS.position, e.position);
  await put(EMBEDDING_TENSORS.tokenType, e.tokenType);
  await put(weightName(EMBEDDING_NORM), e.norm.gamma);
  await put(biasName(EMBEDDING_NORM), e.norm.beta);
  for (const layer of model.layers) {
    for (const lin of linearsOf(layer)) {
      await put(weightName(lin.module), lin.weight);
      await put(biasName(lin.module), lin.bias);
    }
    const attentionNorm = layerNormName(layer.index, 'attention.output');
    const outputNorm = layerNormName(layer.index, 'output');
    await put(weightName(attentionNorm), layer.attentionNorm.gamma);
    await put(biasName(attentionNorm), layer.attentionNorm.beta);
    await put(weightName(outputNorm), layer.outputNorm.gamma);
    await put(biasName(outputNorm), layer.outputNorm.beta);
  }
  for (const key of HEAD_KEYS) await put(CLASSIFIER_TENSORS[key], model.classifier.w[key]);

  const removed = (kept: number[], n: number) => Array.from({ length: n }, (_, i) => i).filter((i) => !kept.includes(i));
  const prunedHeads = Object.fromEntries(plan.keptHeads.map((k, l) => [String(l), removed(k, config.heads)]).filter(([, r]) => r.length > 0));
  const configJson = {
    architectures: ['RobertaForSequenceClassification'],
    model_type: config.modelType,
    vocab_size: config.vocabSize,
    hidden_size: config.hidden,
    num_hidden_layers: config.layers,
    num_attention_heads: config.heads,
    intermediate_size: config.intermediate,
    hidden_act: 'gelu',
    hidden_dropout_prob: config.hiddenDropout,
    attention_probs_dropout_prob: config.attentionDropout,
    max_position_embeddings: config.maxPositions,
    type_vocab_size: config.typeVocabSize,
    layer_norm_eps: config.layerNormEps,
    pad_token_id: config.padTokenId,
    bos_token_id: 0,
    eos_token_id: 2,
    id2label: Object.fromEntries(config.id2label.map((l, i) => [String(i), l])),
    label2id: Object.fromEntries(config.id2label.map((l, i) => [l, i])),
    pruned_heads: prunedHeads,
    light_peft: { intermediate_sizes: model.layers.map((l) => l.intermediate) },
  };
  const pruning = {
    ratios: plan.ratios,
    counts: plan.counts,
    heads: plan.keptHeads.map((kept, layer) => ({ layer, kept, removed: removed(kept, config.heads) })),
    ffn: plan.keptFfn.map((kept, layer) => ({ layer, kept: kept.length, removed: removed(kept, config.intermediate) })),
    modules: { kept: plan.keptModules, removed: plan.removedModules },
  };
  const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value, null, 2) + '\n');
  return [
    { name: 'config.json', bytes: json(configJson) },
    { name: 'model.safetensors', bytes: writeSafetensors(tensors, { format: 'pt' }) },
    { name: 'pruning.json', bytes: json(pruning) },
  ];
}
