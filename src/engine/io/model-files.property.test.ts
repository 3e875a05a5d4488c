/**
 * Property tests for the model-folder parsers: whatever config.json, model.safetensors.index.json,
 * adapter_config.json (+ adapter_model.safetensors) or tokenizer files arrive, reading the folder
 * resolves or rejects with a BadInputError whose message starts with the file it names — never
 * another exception or a stall. Most inputs are plausible files with one or two fields made odd
 * (wrong types, huge or negative numbers, prototype keys such as "toString" and "__proto__"), so
 * runs get past the first check; the rest are random JSON or random bytes.
 */
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BadInputError } from '../../errors';
import { parseModelConfig, SUPPORTED_MODEL_TYPES, type ModelConfig } from '../model/config';
import { bytesSource } from './byte-source';
import { readModelDir, readPeftDir } from '../model/model-dir';
import type { DirReader } from './dir-reader';
import { readTokenizerDir } from './tokenizer-dir';
import { writeSafetensors } from './safetensors';
import { seedFastCheck } from '../../../test/fuzz-seed';

seedFastCheck();

const DIR = 'fuzz-model';
const RUNS = { numRuns: 300 };
const FIXTURES = join(__dirname, '../../../test/fixtures');
const fixture = (...path: string[]) => new Uint8Array(readFileSync(join(FIXTURES, ...path)));
const fixtureJson = (...path: string[]) => JSON.parse(new TextDecoder().decode(fixture(...path))) as Record<string, unknown>;
const utf8 = (text: string) => new TextEncoder().encode(text);

/** An in-memory folder that records every name asked for. Bytes are the file; any other value is written as JSON; undefined: no such file. */
function memoryDir(files: Record<string, unknown>): DirReader & { asked: string[] } {
  const asked: string[] = [];
  const describe = (name: string) => `${DIR}/${name}`;
  const bytesOf = (name: string): Uint8Array | null => {
    asked.push(name);
    const content = Object.hasOwn(files, name) ? files[name] : undefined;
    if (content === undefined) return null;
    return content instanceof Uint8Array ? content : utf8(JSON.stringify(content));
  };
  return {
    asked,
    describe,
    read: async (name) => bytesOf(name),
    open: async (name) => {
      const bytes = bytesOf(name);
      return bytes && bytesSource(bytes, describe(name));
    },
  };
}

/** A parser's result, or the BadInputError it threw, which must start with the file it names; anything else fails the property. */
async function parseOrBadInput<T>(run: () => T | Promise<T>): Promise<T | BadInputError> {
  try {
    return await run();
  } catch (e) {
    if (!(e instanceof BadInputError)) throw e;
    expect(e.message.startsWith(e.file)).toBe(true);
    expect(e.file.startsWith(`${DIR}/`)).toBe(true);
    return e;
  }
}

// ---- shared generators ---------------------------------------------------------------------

const anyJson = fc.jsonValue({ maxDepth: 2 });
const prototypeKey = fc.constantFrom('toString', 'valueOf', '__proto__', 'constructor', 'hasOwnProperty', 'length');
/** Objects whose keys shadow Object.prototype's. */
const trickyObject = fc.dictionary(fc.oneof(prototypeKey, fc.constantFrom('0', '1')), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 });
const oddValue = fc.oneof(anyJson, trickyObject, fc.constantFrom(undefined, null, -1, 0, 1.5, 2 ** 31, 2 ** 53, 1e300, -1e300, '2', [], {}));
/** Bytes that are no file format: random, or the UTF-8 of random JSON with one byte changed. */
const randomBytes = fc.oneof(
  fc.uint8Array({ maxLength: 64 }),
  fc.tuple(anyJson, fc.nat(), fc.nat(255)).map(([json, at, byte]) => {
    const bytes = utf8(JSON.stringify(json));
    if (bytes.length > 0) bytes[at % bytes.length] = byte;
    return bytes;
  }),
);

interface Field {
  plausible: fc.Arbitrary<unknown>;
  /** Values of this field's own kind of wrong (generic odd values are added). */
  odd?: fc.Arbitrary<unknown>;
}

/** Objects with plausible fields except for up to two, which are odd or removed (undefined). */
function fewOdd(fields: Record<string, Field>): fc.Arbitrary<Record<string, unknown>> {
  const keys = Object.keys(fields);
  const record = (pick: (f: Field) => fc.Arbitrary<unknown>) => fc.record(Object.fromEntries(keys.map((k) => [k, pick(fields[k])])));
  const plausible = record((f) => f.plausible);
  const odd = record((f) => (f.odd ? fc.oneof(f.odd, oddValue) : oddValue));
  return fc.tuple(plausible, odd, fc.subarray(keys, { maxLength: 2 })).map(([good, bad, which]) => {
    const out = { ...good };
    for (const k of which) out[k] = bad[k];
    return out;
  });
}

/** A file: mostly the plausible content, else missing, random bytes or random JSON. */
const fileOf = (plausible: fc.Arbitrary<unknown>) =>
  fc.oneof({ weight: 6, arbitrary: plausible }, { weight: 1, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: randomBytes }, { weight: 1, arbitrary: oddValue });
const absentOr = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });

// ---- config.json ---------------------------------------------------------------------------

const hugeInt = fc.constantFrom(2 ** 31, 2 ** 32, 2 ** 53, 1e300);
const labels = fc.array(fc.string({ maxLength: 4 }), { minLength: 2, maxLength: 4 });
const configObject = fewOdd({
  model_type: { plausible: fc.constantFrom(...SUPPORTED_MODEL_TYPES), odd: fc.oneof(fc.constantFrom('bert', 'ROBERTA'), fc.string({ maxLength: 6 })) },
  hidden_size: { plausible: fc.constant(8), odd: fc.oneof(fc.integer({ min: -2, max: 9 }), hugeInt) },
  num_attention_heads: { plausible: fc.constantFrom(2, 4), odd: fc.oneof(fc.integer({ min: -2, max: 9 }), hugeInt) },
  num_hidden_layers: { plausible: fc.integer({ min: 1, max: 3 }), odd: fc.oneof(fc.constantFrom(0, -1, 1000, 1001, 1.5), hugeInt) },
  intermediate_size: { plausible: fc.constant(16) },
  vocab_size: { plausible: fc.constantFrom(50, 400) },
  max_position_embeddings: { plausible: fc.constant(34) },
  type_vocab_size: { plausible: absentOr(fc.constant(1)) },
  pad_token_id: { plausible: absentOr(fc.constant(1)) },
  hidden_act: { plausible: absentOr(fc.constant('gelu')), odd: fc.constantFrom('relu', 'gelu_new') },
  layer_norm_eps: { plausible: absentOr(fc.constant(1e-5)) },
  hidden_dropout_prob: { plausible: absentOr(fc.constant(0.1)) },
  num_labels: { plausible: absentOr(fc.integer({ min: 2, max: 5 })), odd: fc.oneof(fc.integer({ min: -3, max: 1 }), fc.constantFrom(100_000, 100_001, 2.5), hugeInt) },
  id2label: {
    plausible: absentOr(labels.map((names) => Object.fromEntries(names.map((n, i) => [String(i), n])))),
    odd: fc.oneof(labels, fc.dictionary(fc.oneof(fc.constantFrom('0', '1', '2', '01', '-1', 'x'), prototypeKey), fc.oneof(fc.string({ maxLength: 4 }), fc.integer(), trickyObject), { maxKeys: 4 })),
  },
  pruned_heads: {
    plausible: absentOr(fc.dictionary(fc.constantFrom('0', '1', '2'), fc.uniqueArray(fc.nat(1), { maxLength: 1 }), { maxKeys: 2 })),
    odd: fc.dictionary(fc.oneof(fc.constantFrom('0', '-1', '00', '1.0'), prototypeKey), fc.oneof(fc.array(fc.integer({ min: -1, max: 5 }), { maxLength: 4 }), oddValue), { maxKeys: 3 }),
  },
  light_peft: {
    plausible: absentOr(fc.record({ intermediate_sizes: fc.array(fc.nat(16), { minLength: 1, maxLength: 3 }) })),
    odd: fc.record({ intermediate_sizes: fc.oneof(fc.array(fc.oneof(fc.nat(16), oddValue), { maxLength: 4 }), oddValue) }, { requiredKeys: [] }),
  },
});

/** What the engine relies on from a config that parsed. */
function expectSaneConfig(c: ModelConfig): void {
  expect(SUPPORTED_MODEL_TYPES).toContain(c.modelType);
  expect(c.heads > 0 && Number.isInteger(c.headDim)).toBe(true);
  expect(c.layers >= 1 && c.layers <= 1000).toBe(true);
  expect(c.numLabels).toBeGreaterThanOrEqual(2);
  expect(c.id2label).toHaveLength(c.numLabels);
  for (const label of c.id2label) expect(typeof label).toBe('string');
  if (c.layerHeads) expect(c.layerHeads).toHaveLength(c.layers);
  if (c.layerIntermediate) expect(c.layerIntermediate).toHaveLength(c.layers);
}

const tinyWeights = writeSafetensors([['w', { data: Float32Array.from([1, 2]), shape: [2] }]]);
const CONFIG = `${DIR}/config.json`;

describe('config.json', () => {
  it('parseModelConfig: plausible configs with odd fields, and random JSON', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof({ weight: 5, arbitrary: configObject }, { weight: 1, arbitrary: oddValue }), async (json) => {
        const result = await parseOrBadInput(() => parseModelConfig(json, CONFIG));
        if (result instanceof BadInputError) expect(result.file).toBe(CONFIG);
        else expectSaneConfig(result);
      }),
      { numRuns: 1000 },
    );
  });

  it('readModelDir: config.json as such a config, random JSON or random bytes, beside a valid model.safetensors', async () => {
    await fc.assert(
      fc.asyncProperty(fileOf(configObject), async (config) => {
        const result = await parseOrBadInput(() => readModelDir(memoryDir({ 'config.json': config, 'model.safetensors': tinyWeights })));
        if (result instanceof BadInputError) expect(result.file).toBe(CONFIG);
        else expectSaneConfig(result.config);
      }),
      RUNS,
    );
  });
});

// ---- model.safetensors.index.json ------------------------------------------------------------

const SHARDS = ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors'];
const shardFile = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...SHARDS) },
  { weight: 2, arbitrary: fc.constantFrom('missing.safetensors', 'corrupt.safetensors', '../model.safetensors', 'sub/model.safetensors', 'a\\b.safetensors', '/abs.safetensors', '..', '.', '', 'model.bin', 'config.json') },
  { weight: 1, arbitrary: oddValue },
);
const tensorName = fc.oneof(fc.constantFrom('roberta.embeddings.word_embeddings.weight', 'a', 'b'), prototypeKey, fc.string({ maxLength: 4 }));
const indexJson = fewOdd({
  metadata: { plausible: fc.constant({ total_size: 16 }) },
  weight_map: { plausible: fc.dictionary(tensorName, shardFile, { minKeys: 1, maxKeys: 4 }), odd: fc.constantFrom({}, null, [], 'model.safetensors') },
});

describe('model.safetensors.index.json', () => {
  it('readModelDir: odd weight maps; shards are looked up by plain file names only', async () => {
    await fc.assert(
      fc.asyncProperty(fileOf(indexJson), async (index) => {
        const dir = memoryDir({
          'config.json': fixtureJson('lora-awkward', 'config.json'),
          'model.safetensors.index.json': index,
          [SHARDS[0]]: writeSafetensors([['a', { data: Float32Array.from([1]), shape: [1] }]]),
          [SHARDS[1]]: writeSafetensors([['b', { data: Float32Array.from([2]), shape: [1] }]]),
          'corrupt.safetensors': utf8('not safetensors'),
        });
        const result = await parseOrBadInput(() => readModelDir(dir));
        if (!(result instanceof BadInputError)) expect(result.weights.names().length).toBeGreaterThan(0);
        for (const name of dir.asked) expect(name).toMatch(/^[^/\\]+$/);
      }),
      RUNS,
    );
  });
});

// ---- adapter_config.json + adapter_model.safetensors -----------------------------------------

const LORA_TARGET_REGEX = 'roberta\\.encoder\\.layer\\.\\d+\\.(attention\\.self\\.query|attention\\.self\\.value|intermediate\\.dense)';
const patternMap = fc.dictionary(fc.constantFrom('query', 'layer.0.attention.self.query', 'value'), fc.integer({ min: 1, max: 8 }), { maxKeys: 2 });
const oddPatternMap = fc.dictionary(fc.oneof(fc.constantFrom('(', '.*', 'query'), prototypeKey), fc.oneof(fc.constantFrom(0, -1, 0.5, 1e300), oddValue), { maxKeys: 3 });
const adapterConfig = fewOdd({
  peft_type: { plausible: fc.constantFrom('LORA', 'BOTTLENECK_ADAPTER'), odd: fc.constantFrom('lora', 'PREFIX_TUNING', 'toString') },
  r: { plausible: fc.integer({ min: 1, max: 8 }), odd: fc.oneof(fc.constantFrom(0, 1.5), hugeInt) },
  lora_alpha: { plausible: fc.integer({ min: 1, max: 32 }), odd: fc.constantFrom(0, -1, 1e300) },
  target_modules: { plausible: fc.oneof(fc.constant(LORA_TARGET_REGEX), fc.constant(['query', 'value'])), odd: fc.oneof(fc.constantFrom('(', '[', '*', '.*'), fc.string({ maxLength: 8 }), fc.array(oddValue, { maxLength: 2 })) },
  rank_pattern: { plausible: absentOr(patternMap), odd: oddPatternMap },
  alpha_pattern: { plausible: absentOr(patternMap), odd: oddPatternMap },
  adapter_size: { plausible: fc.integer({ min: 1, max: 8 }), odd: fc.oneof(fc.constantFrom(0, 1.5), hugeInt) },
  adapter_act: { plausible: absentOr(fc.constantFrom('relu', 'gelu')), odd: fc.constantFrom('tanh', 'GELU') },
});

/** Small adapter weight files with odd tensors (LoRA factors, bottleneck weights, others; any shape) and odd id2label metadata. */
const adapterTensor = fc.constantFrom(
  'base_model.model.roberta.encoder.layer.0.attention.self.query.lora_A.weight',
  'base_model.model.roberta.encoder.layer.1.output.dense.lora_A.weight',
  'base_model.model.roberta.embeddings.word_embeddings.lora_A.weight',
  'roberta.encoder.layer.0.attention.output.adapter.down.weight',
  'roberta.encoder.layer.3.output.adapter.down.weight',
  'classifier.dense.weight',
);
const id2labelMetadata = fc.oneof(labels.map((l) => JSON.stringify(l)), fc.jsonValue({ maxDepth: 1 }).map((v) => JSON.stringify(v)), fc.string({ maxLength: 8 }));
const oddAdapterWeights = fc
  .tuple(fc.uniqueArray(fc.tuple(adapterTensor, fc.array(fc.nat(3), { maxLength: 3 })), { selector: ([name]) => name, maxLength: 3 }), absentOr(id2labelMetadata))
  .map(([tensors, id2label]) =>
    writeSafetensors(
      tensors.map(([name, shape]) => [name, { data: new Float32Array(shape.reduce((a, b) => a * b, 1)), shape }]),
      id2label === undefined ? undefined : { id2label },
    ),
  );
const adapterWeights = fc.oneof(
  fc.constant(fixture('lora-awkward', 'adapter', 'adapter_model.safetensors')),
  fc.constant(fixture('adapter', 'adapter', 'adapter_model.safetensors')),
  oddAdapterWeights,
  randomBytes,
);

describe('adapter_config.json', () => {
  it('readPeftDir: odd adapter_config.json with valid, odd or random adapter weights', async () => {
    await fc.assert(
      fc.asyncProperty(fileOf(adapterConfig), adapterWeights, async (config, weights) => {
        const result = await parseOrBadInput(() => readPeftDir(memoryDir({ 'adapter_config.json': config, 'adapter_model.safetensors': weights })));
        if (result instanceof BadInputError) return;
        // What building the model relies on: ranks and bottleneck sizes are positive integers.
        const { peft, labels } = result;
        const positiveInts = peft.kind === 'lora' ? [peft.rank, ...Object.values(peft.rankPattern ?? {})] : [peft.size, ...Object.values(peft.modules ?? {})];
        for (const n of positiveInts) expect(Number.isInteger(n) && n > 0).toBe(true);
        if (peft.kind === 'lora') for (const alpha of [peft.alpha, ...Object.values(peft.alphaPattern ?? {})]) expect(Number.isFinite(alpha)).toBe(true);
        if (labels) expect(labels.length >= 2 && labels.every((l) => typeof l === 'string')).toBe(true);
      }),
      RUNS,
    );
  });
});

// ---- tokenizer.json, tokenizer_config.json, vocab.json, merges.txt ---------------------------

const SPECIALS = ['<s>', '<pad>', '</s>', '<unk>', '<mask>'];
const WORDS = ['H', 'e', 'l', 'o', 'He', 'll', 'Ġ', 'Ġw', '##o', '▁'];
const token = fc.constantFrom(...SPECIALS, ...WORDS, '', 'constructor', 'toString', '__proto__');
const oddTokenId = fc.oneof(fc.constantFrom(-1, 1.5, 1e9, 2 ** 31, 2 ** 32, 1e300, '1', null), oddValue);
/** The specials and a few word pieces, ids in order; sometimes with a prototype-key token or an odd id. */
const vocabObject = fc
  .tuple(fc.subarray(WORDS), fc.array(fc.tuple(token, fc.oneof(fc.nat(20), oddTokenId)), { maxLength: 1 }))
  .map(([words, extra]) => Object.fromEntries([...[...SPECIALS, ...words].map((t, i) => [t, i]), ...extra]));
const unigramVocab = fc
  .tuple(fc.subarray(WORDS), fc.array(fc.oneof(fc.tuple(token, fc.double({ min: -20, max: 0, noNaN: true })), oddValue), { maxLength: 1 }))
  .map(([words, extra]) => [...[...SPECIALS, ...words].map((t, i) => [t, -i]), ...extra]);
const merges = fc.array(fc.tuple(token, token).map(([a, b]) => `${a} ${b}`), { maxLength: 4 });
const typed = (...types: string[]) => fc.oneof(fc.constant(null), fc.constantFrom(...types).map((type) => ({ type })));
const tokenizerModel = fewOdd({
  type: { plausible: fc.constantFrom('BPE', 'Unigram', 'WordPiece'), odd: fc.constantFrom('WordLevel', 'bpe') },
  vocab: { plausible: fc.oneof(vocabObject, unigramVocab), odd: fc.oneof(fc.dictionary(token, oddTokenId, { maxKeys: 3 }), fc.array(oddValue, { maxLength: 3 })) },
  merges: { plausible: merges, odd: fc.array(fc.oneof(fc.tuple(token, token), oddValue), { maxLength: 3 }) },
  unk_token: { plausible: absentOr(fc.constant('<unk>')), odd: token },
  unk_id: { plausible: absentOr(fc.constant(3)), odd: oddTokenId },
  continuing_subword_prefix: { plausible: absentOr(fc.constant('##')) },
  byte_fallback: { plausible: absentOr(fc.boolean()) },
});
const addedToken = fewOdd({
  id: { plausible: fc.nat(4), odd: oddTokenId },
  content: { plausible: token },
  special: { plausible: fc.boolean() },
  normalized: { plausible: fc.boolean() },
});
const specialPair = fc.tuple(fc.constantFrom(...SPECIALS), fc.nat(4));
const tokenizerObject = fewOdd({
  model: { plausible: tokenizerModel },
  added_tokens: { plausible: fc.array(addedToken, { maxLength: 3 }) },
  normalizer: { plausible: typed('Lowercase', 'NFC', 'Strip'), odd: typed('Sequence', 'Replace', 'Prepend', 'Precompiled', 'BertNormalizer', 'Mystery') },
  pre_tokenizer: { plausible: typed('ByteLevel', 'Whitespace', 'Metaspace', 'BertPreTokenizer'), odd: typed('Split', 'Sequence', 'Punctuation', 'Digits', 'Replace', 'Mystery') },
  post_processor: {
    plausible: fc.oneof(fc.constant(null), fc.record({ type: fc.constant('RobertaProcessing'), cls: specialPair, sep: specialPair })),
    odd: fc.oneof(typed('TemplateProcessing', 'ByteLevel', 'Mystery'), fc.record({ type: fc.constant('RobertaProcessing'), cls: fc.tuple(token, oddTokenId), sep: oddValue })),
  },
  decoder: { plausible: typed('ByteLevel', 'WordPiece', 'Metaspace', 'BPEDecoder'), odd: typed('Replace', 'Sequence', 'Strip', 'Fuse', 'ByteFallback', 'CTC', 'Mystery') },
});
const specialToken = (name: string) => ({ plausible: absentOr(fc.constant(name)), odd: fc.oneof(token, fc.record({ content: fc.oneof(token, oddValue) })) });
const tokenizerConfig = fewOdd({
  cls_token: specialToken('<s>'),
  sep_token: specialToken('</s>'),
  pad_token: specialToken('<pad>'),
  mask_token: specialToken('<mask>'),
  model_max_length: { plausible: absentOr(fc.constant(512)) },
  add_prefix_space: { plausible: absentOr(fc.boolean()) },
});
const mergesTxt = fc.oneof(
  fc.tuple(fc.array(fc.oneof(fc.tuple(token, token).map(([a, b]) => `${a} ${b}`), fc.constantFrom('#version: 0.2', '', 'a  b', ' ', 'a b c')), { maxLength: 6 }), fc.constantFrom('\n', '\r\n')).map(([lines, eol]) => utf8(lines.join(eol))),
  randomBytes,
);
/** A tokenizer file: the fixture's, a generated one, missing, random bytes or random JSON. */
const tokenizerFile = (name: string, generated: fc.Arbitrary<unknown>) => fc.oneof({ weight: 2, arbitrary: fc.constant(fixture('tokenizer-tiny', name)) }, { weight: 4, arbitrary: fileOf(generated) });
const tokenizerFolder = fc.record({
  'tokenizer.json': fc.oneof(tokenizerFile('tokenizer.json', tokenizerObject), fc.constant(undefined)),
  'tokenizer_config.json': tokenizerFile('tokenizer_config.json', tokenizerConfig),
  'vocab.json': tokenizerFile('vocab.json', vocabObject),
  'merges.txt': fc.oneof(fc.constant(fixture('tokenizer-tiny', 'merges.txt')), fc.constant(undefined), mergesTxt),
});
const TEXTS = ['Hello world', 'constructor toString __proto__', '', '😀 é'];

describe('tokenizer files', () => {
  it('readTokenizerDir: odd tokenizer files load, or fail naming one of them; what loads encodes in range', async () => {
    await fc.assert(
      fc.asyncProperty(tokenizerFolder, async (files) => {
        const result = await parseOrBadInput(() => readTokenizerDir(memoryDir(files)));
        if (result instanceof BadInputError) return;
        // The embedding lookup relies on every id being an integer below vocabSize.
        const ids = [result.clsId, result.sepId, result.padId, result.maskId, ...result.encodeBatch(TEXTS, null, 16).inputIds.flat()];
        for (const id of ids) expect(Number.isInteger(id) && id >= 0 && id < result.vocabSize).toBe(true);
        for (const text of TEXTS) result.decode(result.encodeText(text));
      }),
      RUNS,
    );
  });
});
