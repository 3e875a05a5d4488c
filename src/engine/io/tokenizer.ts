/**
 * Tokenizers for RoBERTa-family models, from file contents (never paths or URLs), in the browser
 * worker and in Node, offline.
 *
 * Which package, and why: transformers.js' `PreTrainedTokenizer` is a thin wrapper whose
 * constructor does `new Tokenizer(tokenizerJSON, tokenizerConfig)` with the `Tokenizer` class of
 * `@huggingface/tokenizers` (Tokenizers.js, a dependency of `@huggingface/transformers` v4). We
 * import that class directly, because `@huggingface/transformers` has no subpath exports and its
 * entry points load the inference runtime on import:
 *  - Node: `transformers.node.mjs` does `require("onnxruntime-node")` at top level (the native
 *    library, ~0.5 s) — measured: importing `@huggingface/tokenizers` takes ~8 ms.
 *  - Browser: `transformers.web.js` statically imports `onnxruntime-web/webgpu`, so a bundle
 *    that uses only its tokenizer still carries ORT's JS and wasm (a Vite library build of
 *    `import { PreTrainedTokenizer }` came to 72 MB; of `import { Tokenizer }` from
 *    `@huggingface/tokenizers`, 43 KB), and its default `wasmPaths` point at a CDN.
 * `@huggingface/tokenizers` has no imports at all and no network code (no fetch, no hub, no
 * cache), so nothing here can reach the network or load onnxruntime; `env.allowRemoteModels`
 * does not even exist on this path. Encodings are the same as transformers.js' (the test compares
 * them with `PreTrainedTokenizer` built from the same JSON). Hub downloads, when the user asks
 * for them, are the model loader's business, not this file's.
 *
 * Truncation and padding are ours, not the library's: transformers.js truncates the whole
 * post-processed sequence (cutting off the final `</s>`), while HF's fast tokenizers truncate the
 * texts before adding special tokens, `longest_first` for pairs. We do the latter.
 */
import { Tokenizer } from '@huggingface/tokenizers';
import { BadInputError } from '../../errors';

/** Parsed JSON (tokenizer.json, tokenizer_config.json, vocab.json) and merges.txt's text. */
export interface TokenizerFiles {
  tokenizerJson?: unknown;
  tokenizerConfig?: unknown;
  vocabJson?: unknown;
  mergesTxt?: string;
}

export type TokenizerFileName = 'tokenizer.json' | 'tokenizer_config.json' | 'vocab.json' | 'merges.txt';

export interface EncodedBatch {
  inputIds: number[][]; // [B, T], T = the longest row (≤ maxLength), padded with padId
  attentionMask: number[][]; // [B, T], 1 for tokens, 0 for padding
}

export interface TextTokenizer {
  /** Highest token id + 1; must not exceed the model's vocab_size. */
  readonly vocabSize: number;
  readonly padId: number;
  readonly clsId: number;
  readonly sepId: number;
  readonly maskId: number;
  /** tokenizer_config.json's model_max_length, or null when absent or "unlimited". */
  readonly modelMaxLength: number | null;
  /** The file the vocabulary came from, as named in messages. */
  readonly source: string;
  /**
   * `<s> A </s>` or `<s> A </s></s> B </s>`, truncated to maxLength tokens (longest_first for
   * pairs, special tokens always kept), right-padded to the longest row of the batch.
   */
  encodeBatch(texts: string[], pairs: string[] | null, maxLength: number): EncodedBatch;
  /** Token ids (no special tokens added) of one text. */
  encodeText(text: string): number[];
  /** Text from ids, without tokenization-space clean-up, so decode(encodeText(s)) === s. */
  decode(ids: number[], options?: { skipSpecialTokens?: boolean }): string;
}

/**
 * Builds a tokenizer from tokenizer.json (+ optional tokenizer_config.json), or from vocab.json +
 * merges.txt (byte-level BPE, RoBERTa's slow-tokenizer files). `describe` names a file in error
 * messages (a path in the CLI, a file name in the browser), like `DirReader.describe`.
 */
export function loadTokenizer(files: TokenizerFiles, describe: (file: TokenizerFileName) => string = (file) => file): TextTokenizer {
  const config = readConfig(files.tokenizerConfig, describe('tokenizer_config.json'));
  let json: Record<string, unknown>;
  let source: string;
  if (files.tokenizerJson !== undefined) {
    source = describe('tokenizer.json');
    json = checkTokenizerJson(files.tokenizerJson, source);
  } else if (files.vocabJson !== undefined && files.mergesTxt !== undefined) {
    source = describe('vocab.json');
    json = tokenizerJsonFromVocabMerges(files.vocabJson, files.mergesTxt, config, describe);
  } else {
    const missing = files.vocabJson === undefined ? 'vocab.json' : 'merges.txt';
    throw new BadInputError(
      describe('tokenizer.json'),
      null,
      `is missing (and so is ${missing}); the model folder needs tokenizer.json, or vocab.json and merges.txt`,
    );
  }

  let tokenizer: Tokenizer;
  try {
    tokenizer = new Tokenizer(json, config);
    tokenizer.encode(PROBE, { add_special_tokens: false }); // surface lazy failures now
  } catch (e) {
    throw new BadInputError(source, null, `is not a tokenizer this app can read (${(e as Error).message}); use the tokenizer files that came with the model`);
  }
  const text = new HfTextTokenizer(tokenizer, config, json, source, describe('tokenizer_config.json'));
  text.encodeText(PROBE); // a missing unknown token shows on text outside the vocabulary
  return text;
}

/** Throws when the tokenizer can produce ids the model's embedding table does not have. */
export function checkTokenizerFitsModel(tokenizer: TextTokenizer, config: { vocabSize: number }, configFile = 'config.json'): void {
  if (tokenizer.vocabSize > config.vocabSize) {
    throw new BadInputError(
      tokenizer.source,
      null,
      `has ${tokenizer.vocabSize} tokens but ${configFile}'s vocab_size is ${config.vocabSize}; use the tokenizer that came with the model`,
    );
  }
}

// ---------------------------------------------------------------------------------------------

/** Encoded once at load: punctuation, digits and characters outside ASCII reach lazy failures and the unknown token. */
const PROBE = 'Hello, world! 123 é 😀';

type Json = Record<string, unknown>;

class HfTextTokenizer implements TextTokenizer {
  readonly vocabSize: number;
  readonly padId: number;
  readonly clsId: number;
  readonly sepId: number;
  readonly maskId: number;
  readonly modelMaxLength: number | null;

  constructor(
    private readonly tokenizer: Tokenizer,
    config: Json,
    json: Json,
    readonly source: string,
    configSource: string,
  ) {
    let maxId = -1;
    for (const id of tokenizer.get_vocab(true).values()) if (id > maxId) maxId = id;
    this.vocabSize = maxId + 1;
    const processor = (json.post_processor ?? null) as Json | null;
    const id = (key: string, fallback: string, processorKey?: 'cls' | 'sep'): number => {
      const fromProcessor = processorKey && Array.isArray(processor?.[processorKey]) ? (processor[processorKey] as unknown[])[0] : undefined;
      const configured = tokenFromConfig(config[key]);
      const token = configured ?? (typeof fromProcessor === 'string' ? fromProcessor : fallback);
      const found = tokenizer.token_to_id(token);
      if (found === undefined) {
        // Name the file the token came from: a token from tokenizer_config.json may be the one that is wrong.
        if (configured !== null) {
          throw new BadInputError(configSource, key, `${JSON.stringify(token)} is not in the vocabulary of ${source}; use the tokenizer files that came with the model (RoBERTa-family models need a ${key})`);
        }
        throw new BadInputError(source, null, `has no ${key} "${token}" in its vocabulary; RoBERTa-family models need it`);
      }
      return found;
    };
    this.clsId = id('cls_token', '<s>', 'cls');
    this.sepId = id('sep_token', '</s>', 'sep');
    this.padId = id('pad_token', '<pad>');
    this.maskId = id('mask_token', '<mask>');
    const max = config.model_max_length;
    this.modelMaxLength = typeof max === 'number' && Number.isInteger(max) && max > 0 && max < 1e9 ? max : null;
  }

  encodeText(text: string): number[] {
    const ids = this.tokenizer.encode(text, { add_special_tokens: false }).ids;
    // The library returns undefined (or the file's out-of-range unk_id) for pieces outside the vocabulary when the unknown token is not in it.
    if (!ids.every((id) => Number.isInteger(id) && id >= 0 && id < this.vocabSize)) {
      throw new BadInputError(
        this.source,
        null,
        `has no token id for part of ${JSON.stringify(text.slice(0, 40))}: its unknown token ("model.unk_token" or "model.unk_id") is not in its vocabulary; use the tokenizer files that came with the model`,
      );
    }
    return ids;
  }

  encodeBatch(texts: string[], pairs: string[] | null, maxLength: number): EncodedBatch {
    if (pairs && pairs.length !== texts.length) throw new RangeError(`encodeBatch: ${texts.length} texts but ${pairs.length} pairs`);
    const specials = pairs ? 4 : 2;
    if (!Number.isInteger(maxLength) || maxLength < specials + (pairs ? 2 : 1)) {
      throw new RangeError(`max length ${maxLength} is too short: ${pairs ? 'a sentence pair' : 'a sentence'} needs ${specials} special tokens plus text`);
    }
    const budget = maxLength - specials;
    const rows: number[][] = texts.map((text, i) => {
      const a = this.encodeText(text);
      if (!pairs) return [this.clsId, ...a.slice(0, budget), this.sepId];
      const b = this.encodeText(pairs[i]);
      const [keepA, keepB] = longestFirst(a.length, b.length, budget);
      return [this.clsId, ...a.slice(0, keepA), this.sepId, this.sepId, ...b.slice(0, keepB), this.sepId];
    });
    const width = rows.reduce((m, r) => Math.max(m, r.length), 0);
    return {
      inputIds: rows.map((r) => (r.length < width ? r.concat(new Array<number>(width - r.length).fill(this.padId)) : r)),
      attentionMask: rows.map((r) => Array.from({ length: width }, (_, j) => (j < r.length ? 1 : 0))),
    };
  }

  decode(ids: number[], options: { skipSpecialTokens?: boolean } = {}): string {
    if (ids.length === 0) return '';
    return this.tokenizer.decode(ids, { skip_special_tokens: options.skipSpecialTokens ?? false, clean_up_tokenization_spaces: false });
  }
}

/**
 * How many tokens of each text to keep so that n1 + n2 ≤ budget, as HF tokenizers' (Rust)
 * `longest_first` does: a short text is kept whole and the other fills the rest; when both are
 * long each gets half, the odd token going to the longer one (to the pair on a tie).
 */
export function longestFirst(n1: number, n2: number, budget: number): [number, number] {
  if (n1 + n2 <= budget) return [n1, n2];
  const swap = n1 > n2;
  let short = swap ? n2 : n1;
  let long: number;
  if (short > budget) long = short;
  else long = Math.max(short, budget - short);
  if (short + long > budget) {
    short = Math.floor(budget / 2);
    long = short + (budget % 2);
  }
  return swap ? [long, short] : [short, long];
}

function tokenFromConfig(value: unknown): string | null {
  if (typeof value === 'string' && value.length > 0) return value;
  if (value && typeof value === 'object' && typeof (value as Json).content === 'string') return (value as Json).content as string;
  return null;
}

function readConfig(value: unknown, file: string): Json {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new BadInputError(file, null, 'is not a JSON object');
  return value as Json;
}

function checkTokenizerJson(value: unknown, file: string): Json {
  const fail = (why: string) => new BadInputError(file, null, `${why}; use the tokenizer files that came with the model`);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw fail('is not a JSON object');
  const json = value as Json;
  const model = json.model as Json | undefined;
  if (typeof model !== 'object' || model === null || Array.isArray(model)) throw fail('has no "model" object');
  const type = model.type ?? (model.merges !== undefined ? 'BPE' : undefined);
  if (type === 'BPE') {
    const problem = vocabProblem(model.vocab);
    if (problem) throw fail(`"model.vocab" ${problem}`);
    if (!Array.isArray(model.merges) || !model.merges.every((m) => typeof m === 'string' || (Array.isArray(m) && m.length === 2 && m.every((s) => typeof s === 'string')))) {
      throw fail('has no "model.merges" list of token pairs');
    }
  } else if (type === 'Unigram') {
    if (!Array.isArray(model.vocab)) throw fail('has no "model.vocab" list of [piece, score]');
    const unk = model.unk_id;
    if (unk != null && !(Number.isInteger(unk) && (unk as number) >= 0 && (unk as number) < model.vocab.length)) {
      throw fail(`has "model.unk_id" ${JSON.stringify(unk).slice(0, 40)}, not an index into its ${model.vocab.length}-piece "model.vocab"`);
    }
  } else if (type === 'WordPiece') {
    const problem = vocabProblem(model.vocab);
    if (problem) throw fail(`"model.vocab" ${problem}`);
  } else {
    throw fail(`has model type ${JSON.stringify(type)}; supported: BPE, Unigram, WordPiece`);
  }
  if (json.added_tokens !== undefined && !Array.isArray(json.added_tokens)) throw fail('"added_tokens" is not a list');
  const badAdded = Array.isArray(json.added_tokens) ? json.added_tokens.findIndex((t: Json | null) => !(typeof t?.content === 'string' && isTokenId(t.id))) : -1;
  if (badAdded >= 0) throw fail(`"added_tokens" entry ${badAdded} is not {"id": <integer from 0 to ${MAX_TOKEN_ID - 1}>, "content": <string>, …}`);
  // Tokenizers.js insists on these keys being present (null is fine).
  const filled: Json = { normalizer: null, pre_tokenizer: null, post_processor: null, decoder: null, added_tokens: [], ...json };
  return filled;
}

/**
 * Token ids must be below this: the tokenizer library walks every id up to the largest, so one
 * corrupt id of 1e9 would stall loading for a minute. XLM-V, the largest RoBERTa-family
 * vocabulary, has 901,629 tokens.
 */
const MAX_TOKEN_ID = 2 ** 22;

function isTokenId(id: unknown): id is number {
  return typeof id === 'number' && Number.isInteger(id) && id >= 0 && id < MAX_TOKEN_ID;
}

/** Why `v` is not an object of token → id, or null when it is one. */
function vocabProblem(v: unknown): string | null {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'is not an object of token → id';
  for (const [token, id] of Object.entries(v)) {
    if (!isTokenId(id)) return `maps ${JSON.stringify(token)} to ${String(JSON.stringify(id)).slice(0, 40)}, not an integer id from 0 to ${MAX_TOKEN_ID - 1}`;
  }
  return null;
}

/** RoBERTa's slow-tokenizer files → the tokenizer.json its fast tokenizer would have. */
function tokenizerJsonFromVocabMerges(vocabJson: unknown, mergesTxt: string, config: Json, describe: (file: TokenizerFileName) => string): Json {
  const problem = vocabProblem(vocabJson);
  if (problem) throw new BadInputError(describe('vocab.json'), null, `${problem}; use the tokenizer files that came with the model`);
  const vocab = vocabJson as Record<string, number>;
  const merges: string[] = [];
  const lines = mergesTxt.split(/\r?\n/);
  lines.forEach((line, i) => {
    if (line === '' || (i === 0 && line.startsWith('#version'))) return;
    const parts = line.split(' ');
    if (parts.length !== 2 || !parts[0] || !parts[1]) {
      throw new BadInputError(describe('merges.txt'), `line ${i + 1}`, `expected two tokens separated by one space, got ${JSON.stringify(line.slice(0, 80))}`);
    }
    merges.push(line);
  });
  const token = (key: string, fallback: string) => tokenFromConfig(config[key]) ?? fallback;
  const cls = token('cls_token', '<s>');
  const sep = token('sep_token', '</s>');
  const mask = token('mask_token', '<mask>');
  // Own keys only: `in` would find "__proto__" or "constructor" on Object.prototype.
  const inVocab = (t: string) => Object.hasOwn(vocab, t);
  const specials = [...new Set([cls, token('pad_token', '<pad>'), sep, token('unk_token', '<unk>'), mask])].filter(inVocab);
  for (const required of [cls, sep]) {
    if (!inVocab(required)) throw new BadInputError(describe('vocab.json'), null, `has no "${required}" token; RoBERTa-family models need it`);
  }
  const addPrefixSpace = config.add_prefix_space === true;
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: specials.map((content) => ({
      id: vocab[content],
      content,
      single_word: false,
      lstrip: content === mask,
      rstrip: false,
      normalized: content !== mask,
      special: true,
    })),
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: addPrefixSpace, trim_offsets: true, use_regex: true },
    post_processor: { type: 'RobertaProcessing', sep: [sep, vocab[sep]], cls: [cls, vocab[cls]], trim_offsets: true, add_prefix_space: addPrefixSpace },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges,
    },
  };
}
