/**
 * Reads a model directory (config.json + model.safetensors, or sharded via
 * model.safetensors.index.json) and an HF PEFT directory (adapter_config.json +
 * adapter_model.safetensors) through a platform-neutral file reader.
 */
import { BadInputError } from '../../errors';
import { parseModelConfig, type ModelConfig } from './config';
import { WeightSource } from './weights';
import type { ByteSource } from '../io/byte-source';
import type { DirReader } from '../io/dir-reader';
import { isShardFileName, SHARD_FILE_RULE } from '../io/file-names';
import { targetsFromPeftConfig, type PeftConfig } from './peft';
import { adapterModuleOfDownTensor, adapterTensorName, LORA_TARGETS, loraModuleOfTensor, loraTensorName, targetOfModule } from './names';

async function readJson(reader: DirReader, name: string): Promise<unknown> {
  const bytes = await reader.read(name);
  if (!bytes) throw new BadInputError(reader.describe(name), null, 'is missing');
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (e) {
    throw new BadInputError(reader.describe(name), null, `is not valid JSON: ${(e as Error).message}`);
  }
}

export async function readModelDir(reader: DirReader): Promise<{ config: ModelConfig; weights: WeightSource }> {
  const config = parseModelConfig(await readJson(reader, 'config.json'), reader.describe('config.json'));
  const single = await reader.open('model.safetensors');
  if (single) return { config, weights: await WeightSource.open([single]) };
  const indexName = 'model.safetensors.index.json';
  if (!(await reader.open(indexName))) {
    throw new BadInputError(reader.describe('model.safetensors'), null, 'is missing (and there is no model.safetensors.index.json); the folder needs config.json and model.safetensors');
  }
  const shards = shardNames(await readJson(reader, indexName), reader.describe(indexName));
  const sources: ByteSource[] = [];
  for (const shard of shards) {
    const source = await reader.open(shard);
    if (!source) throw new BadInputError(reader.describe(shard), null, `is missing; ${indexName} lists it as a shard`);
    sources.push(source);
  }
  return { config, weights: await WeightSource.open(sources) };
}

/** The shard files a model.safetensors.index.json names: {"weight_map": {tensor: file, …}}. */
function shardNames(index: unknown, file: string): string[] {
  const fail = (why: string) => new BadInputError(file, null, `${why}; it should map each tensor to its shard file, as transformers writes it`);
  const map = isJsonObject(index) ? index.weight_map : undefined;
  if (!isJsonObject(map)) throw fail('has no "weight_map" object');
  const files = Object.values(map);
  // The names come from the file (for a Hub model, from the network): checked before any is opened.
  const bad = Object.keys(map).find((tensor) => typeof map[tensor] !== 'string' || !isShardFileName(map[tensor] as string));
  if (bad !== undefined) throw fail(`maps tensor ${JSON.stringify(bad)} to ${JSON.stringify(map[bad])}, not a .safetensors file name in the folder (${SHARD_FILE_RULE})`);
  if (files.length === 0) throw fail('has an empty "weight_map"');
  return [...new Set(files as string[])];
}

function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * An HF PEFT LoRA directory, or our bottleneck-adapter directory. `labels` are the classifier's
 * label names when the file records them (our exports do, in the safetensors metadata).
 */
export async function readPeftDir(reader: DirReader): Promise<{ peft: PeftConfig; init: WeightSource; labels?: string[] }> {
  const result = await readPeftConfigAndWeights(reader);
  const raw = result.init.metadata('id2label');
  if (raw === undefined) return result;
  let labels: unknown;
  try {
    labels = JSON.parse(raw);
  } catch {
    labels = null;
  }
  // At least 2, as config.json's labels: the classifier is built with this many outputs.
  if (!Array.isArray(labels) || labels.length < 2 || !labels.every((l) => typeof l === 'string')) {
    throw new BadInputError(reader.describe('adapter_model.safetensors'), 'metadata id2label', `must be a JSON list of at least 2 label names, got ${raw.slice(0, 80)}; export the adapter again`);
  }
  return { ...result, labels };
}

async function readPeftConfigAndWeights(reader: DirReader): Promise<{ peft: PeftConfig; init: WeightSource }> {
  const configName = 'adapter_config.json';
  const json = await readJson(reader, configName);
  const fail = (why: string) => new BadInputError(reader.describe(configName), null, why);
  if (!isJsonObject(json)) throw fail('is not a JSON object; use the adapter_config.json that PEFT or light-peft wrote');
  const weightsName = 'adapter_model.safetensors';
  const source = await reader.open(weightsName);
  if (!source) throw new BadInputError(reader.describe(weightsName), null, 'is missing');
  const init = await WeightSource.open([source]);
  if (json.peft_type === 'LORA') {
    const rank = json.r;
    const alpha = json.lora_alpha;
    if (!Number.isInteger(rank) || (rank as number) < 1) throw fail(`"r" must be a positive integer, got ${JSON.stringify(rank)}`);
    if (typeof alpha !== 'number') throw fail(`"lora_alpha" must be a number, got ${JSON.stringify(alpha)}`);
    if (targetsFromPeftConfig(json.target_modules) === null) throw fail(`"target_modules" must be a regex string or a list of module names, got ${JSON.stringify(json.target_modules)}`);
    // The modules that get LoRA are the ones whose factors the file holds (a Light-PEFT-pruned
    // adapter keeps only some modules of each target).
    const modules = loraModulesIn(init);
    if (modules.length === 0) {
      throw new BadInputError(reader.describe(weightsName), null, `holds no LoRA factors (${loraTensorName('<module>', 'A')}); is it an adapter of another kind?`);
    }
    const unsupported = modules.find((m) => targetOfModule(m) === null);
    if (unsupported) {
      throw new BadInputError(reader.describe(weightsName), `tensor ${loraTensorName(unsupported, 'A')}`, `LoRA on ${unsupported} is not supported; supported layers: ${LORA_TARGETS.join(', ')}`);
    }
    const targets = LORA_TARGETS.filter((t) => modules.some((m) => targetOfModule(m) === t));
    const rankPattern = numberMap(json.rank_pattern, 'rank_pattern', 'positive integers', Number.isInteger, fail);
    const alphaPattern = numberMap(json.alpha_pattern, 'alpha_pattern', 'positive numbers', Number.isFinite, fail);
    const dropout = dropoutOf(json, 'lora_dropout', fail);
    return { peft: { kind: 'lora', rank: rank as number, alpha, targets, rankPattern, alphaPattern, ...dropout, modules }, init };
  }
  if (json.peft_type === 'BOTTLENECK_ADAPTER') {
    const size = json.adapter_size;
    const activation = json.adapter_act ?? 'relu';
    if (!Number.isInteger(size) || (size as number) < 1) throw fail(`"adapter_size" must be a positive integer, got ${JSON.stringify(size)}`);
    if (activation !== 'relu' && activation !== 'gelu') throw fail(`"adapter_act" must be "relu" or "gelu", got ${JSON.stringify(activation)}`);
    const dropout = dropoutOf(json, 'adapter_dropout', fail);
    // Adapters with biases come from an earlier version of this app, whose adapters sat after the
    // hidden dropout: their weights do not fit the paper's architecture used now.
    const bias = init.names().find((name) => /\.adapter\.(down|up)\.bias$/.test(name));
    if (bias) {
      throw new BadInputError(reader.describe(weightsName), `tensor ${bias}`, 'is an adapter bias; adapters now have no biases and sit before the hidden dropout (as in the Light-PEFT paper), so this adapter from an earlier version cannot be loaded; train it again');
    }
    // The modules and their bottleneck sizes are the ones the file holds (pruning may drop or shrink some).
    const modules: Record<string, number> = {};
    for (const name of init.names()) {
      const module = adapterModuleOfDownTensor(name);
      if (!module) continue;
      const shape = init.shapeOf(name)!;
      // [size, hidden]; a 0-row or 1-D tensor would build an adapter of size 0 or undefined.
      if (shape.length !== 2 || shape[0] < 1) {
        throw new BadInputError(reader.describe(weightsName), `tensor ${name}`, `has shape [${shape.join(',')}]; a bottleneck down-projection is [adapter size ≥ 1, hidden size]; export the adapter again`);
      }
      modules[module] = shape[0];
    }
    if (Object.keys(modules).length === 0) throw new BadInputError(reader.describe(weightsName), null, `holds no adapter weights (${adapterTensorName('<module>', 'down')}); is it an adapter of another kind?`);
    return { peft: { kind: 'adapter', size: size as number, activation, ...dropout, modules }, init };
  }
  throw fail(`peft_type ${JSON.stringify(json.peft_type)} is not supported; supported: LORA, BOTTLENECK_ADAPTER`);
}

function loraModulesIn(init: WeightSource): string[] {
  return init.names().flatMap((name) => loraModuleOfTensor(name) ?? []);
}

/** A dropout probability (`lora_dropout`, `adapter_dropout`): absent, null or 0 leaves it off. */
function dropoutOf(json: Record<string, unknown>, key: string, fail: (why: string) => BadInputError): { dropout?: number } {
  const p = json[key];
  if (p === undefined || p === null) return {};
  if (typeof p !== 'number' || !(p >= 0 && p < 1)) throw fail(`"${key}" must be a number at least 0 and below 1, got ${JSON.stringify(p)}`);
  return p > 0 ? { dropout: p } : {};
}

/** PEFT's rank_pattern / alpha_pattern: module name (or regex) → positive value of the kind `ok` accepts. */
function numberMap(value: unknown, key: string, kind: string, ok: (v: number) => boolean, fail: (why: string) => BadInputError): Record<string, number> | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isJsonObject(value) || !Object.values(value).every((v) => typeof v === 'number' && v > 0 && ok(v))) {
    throw fail(`"${key}" must map module names to ${kind}, got ${JSON.stringify(value).slice(0, 80)}`);
  }
  return Object.keys(value).length > 0 ? (value as Record<string, number>) : undefined;
}
