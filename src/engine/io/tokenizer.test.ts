/**
 * The tokenizer adapter against the fixture that tools/demo/train_tokenizer.py trained (vocab 400
 * on a few licence texts), the ids its own Python encoder wrote (expected.json), and
 * transformers.js' PreTrainedTokenizer built from the same JSON.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BadInputError } from '../../errors';
import { checkTokenizerFitsModel, loadTokenizer, longestFirst, type TextTokenizer, type TokenizerFiles } from './tokenizer';

const FIXTURE = join(__dirname, '../../../test/fixtures/tokenizer-tiny');
const readJson = (name: string): unknown => JSON.parse(readFileSync(join(FIXTURE, name), 'utf8'));
const tokenizerFiles = (): TokenizerFiles => ({ tokenizerJson: readJson('tokenizer.json'), tokenizerConfig: readJson('tokenizer_config.json') });
const slowFiles = (): TokenizerFiles => ({
  vocabJson: readJson('vocab.json'),
  mergesTxt: readFileSync(join(FIXTURE, 'merges.txt'), 'utf8'),
  tokenizerConfig: readJson('tokenizer_config.json'),
});
const expected = readJson('expected.json') as { cases: { text: string; pair?: string; ids: number[] }[] };
const tiny = (): TextTokenizer => loadTokenizer(tokenizerFiles());

const ROUND_TRIP = [
  'Plain ASCII: the quick brown fox jumps over the lazy dog.',
  'Accents: Café naïve résumé, Zürich, Ærøskøbing, Đặng, ñandú',
  'Emoji: 👍🏽 👩‍👩‍👧 🎉 and flags 🇫🇷',
  'Newlines\nand\r\nCRLF\n\n\tand tabs\t\tand   runs of   spaces ',
  '  leading and trailing  ',
  'CJK 東京 中文 한국어, Greek αβγ, Cyrillic привет, Arabic مرحبا',
  "Contractions don't I'll we've; numbers 3.14159 -42 1e10; symbols <>&\"'`~|\\",
  '',
];

/** [cls, ...a, sep] or [cls, ...a, sep, sep, ...b, sep] with fixture ids (<s>=0, </s>=2). */
const layout = (a: number[], b?: number[]) => (b ? [0, ...a, 2, 2, ...b, 2] : [0, ...a, 2]);

describe('loadTokenizer', () => {
  it('reads the special tokens of the RoBERTa layout', () => {
    const t = tiny();
    expect({ cls: t.clsId, pad: t.padId, sep: t.sepId, mask: t.maskId, size: t.vocabSize }).toEqual({ cls: 0, pad: 1, sep: 2, mask: 399, size: 400 });
    expect(t.encodeBatch(['<unk>'], null, 8).inputIds[0]).toEqual([0, 3, 2]);
    expect(t.modelMaxLength).toBe(512);
    expect(t.source).toBe('tokenizer.json');
  });

  it("agrees with the trainer's own encoder on every expected.json case", () => {
    const t = tiny();
    expect(expected.cases.length).toBeGreaterThanOrEqual(8);
    for (const c of expected.cases) {
      const ids = t.encodeBatch([c.text], c.pair === undefined ? null : [c.pair], 4096).inputIds[0];
      expect(ids, JSON.stringify(c.text)).toEqual(c.ids);
    }
  });

  it('gives the same ids from vocab.json + merges.txt as from tokenizer.json', () => {
    const fast = tiny();
    const slow = loadTokenizer(slowFiles());
    expect(slow.source).toBe('vocab.json');
    expect({ cls: slow.clsId, pad: slow.padId, sep: slow.sepId, mask: slow.maskId, size: slow.vocabSize }).toEqual({ cls: 0, pad: 1, sep: 2, mask: 399, size: 400 });
    for (const c of expected.cases) {
      const pairs = c.pair === undefined ? null : [c.pair];
      expect(slow.encodeBatch([c.text], pairs, 4096)).toEqual(fast.encodeBatch([c.text], pairs, 4096));
    }
  });

  it('works without tokenizer_config.json (defaults to <s> </s> <pad> <mask>)', () => {
    const t = loadTokenizer({ tokenizerJson: readJson('tokenizer.json') });
    expect([t.clsId, t.padId, t.sepId, t.maskId, t.modelMaxLength]).toEqual([0, 1, 2, 399, null]);
  });
});

describe('encodeBatch', () => {
  it('round-trips text through encode and decode', () => {
    const t = tiny();
    for (const text of ROUND_TRIP) expect(t.decode(t.encodeText(text))).toBe(text);
    const withSpecials = t.encodeBatch([ROUND_TRIP[1]], null, 4096).inputIds[0];
    expect(t.decode(withSpecials)).toBe(`<s>${ROUND_TRIP[1]}</s>`);
    expect(t.decode(withSpecials, { skipSpecialTokens: true })).toBe(ROUND_TRIP[1]);
  });

  it('lays out pairs as <s> A </s></s> B </s>', () => {
    const t = tiny();
    const a = t.encodeText('Is this spam?');
    const b = t.encodeText('Click here to win.');
    expect(t.encodeBatch(['Is this spam?'], ['Click here to win.'], 512).inputIds[0]).toEqual(layout(a, b));
    expect(t.encodeBatch(['', ''], ['', 'x'], 512).inputIds).toEqual([layout([], []).concat([1]), layout([], t.encodeText('x'))]);
  });

  it('truncates single texts to maxLength, keeping <s> and </s>', () => {
    const t = tiny();
    const text = 'The licence grants you the freedom to share and change all versions of a program.';
    const full = t.encodeText(text);
    expect(full.length).toBeGreaterThan(20);
    const out = t.encodeBatch([text], null, 12);
    expect(out.inputIds[0]).toEqual(layout(full.slice(0, 10)));
    expect(out.attentionMask[0]).toEqual(new Array(12).fill(1));
    expect(t.encodeBatch([text], null, full.length + 2).inputIds[0]).toEqual(layout(full)); // exactly fits
  });

  it('truncates pairs longest_first', () => {
    const t = tiny();
    const longText = 'Licensed under the Apache License, Version 2.0 (the "License"); you may not use this file except in compliance.';
    const midText = 'You may obtain a copy of the License at the address below, and you may redistribute it as you wish.';
    const shortText = 'Hi.';
    const [long, mid, short] = [longText, midText, shortText].map((s) => t.encodeText(s));
    expect(short.length).toBeLessThan(8);
    expect(mid.length).toBeGreaterThan(10);
    expect(long.length).toBeGreaterThan(mid.length);
    // One long, one short (budget 20 - 4 specials = 16): the short one whole, the long one fills the rest.
    expect(t.encodeBatch([longText], [shortText], 20).inputIds[0]).toEqual(layout(long.slice(0, 16 - short.length), short));
    expect(t.encodeBatch([shortText], [longText], 20).inputIds[0]).toEqual(layout(short, long.slice(0, 16 - short.length)));
    // Both long (budget 11): 5 and 6, the odd token to the longer text, to the pair on a tie.
    expect(t.encodeBatch([midText], [longText], 15).inputIds[0]).toEqual(layout(mid.slice(0, 5), long.slice(0, 6)));
    expect(t.encodeBatch([longText], [midText], 15).inputIds[0]).toEqual(layout(long.slice(0, 6), mid.slice(0, 5)));
    expect(t.encodeBatch([longText], [longText], 15).inputIds[0]).toEqual(layout(long.slice(0, 5), long.slice(0, 6)));
  });

  it("longestFirst matches HF tokenizers' table (max_length 7)", () => {
    // (n1, n2) → kept, from tokenizers' truncation.rs tests: lengths 0, 2, 4, 8.
    const table: [number, number, number, number][] = [
      [0, 0, 0, 0], [0, 2, 0, 2], [0, 4, 0, 4], [0, 8, 0, 7],
      [2, 0, 2, 0], [2, 2, 2, 2], [2, 4, 2, 4], [2, 8, 2, 5],
      [4, 0, 4, 0], [4, 2, 4, 2], [4, 4, 3, 4], [4, 8, 3, 4],
      [8, 0, 7, 0], [8, 2, 5, 2], [8, 4, 4, 3], [8, 8, 3, 4],
    ];
    for (const [n1, n2, k1, k2] of table) expect(longestFirst(n1, n2, 7), `${n1},${n2}`).toEqual([k1, k2]);
  });

  it('pads dynamically to the longest row with <pad> and masks the padding', () => {
    const t = tiny();
    const texts = ['a', 'a somewhat longer sentence here', 'mid length'];
    const rows = texts.map((s) => layout(t.encodeText(s)));
    const width = Math.max(...rows.map((r) => r.length));
    const out = t.encodeBatch(texts, null, 128);
    expect(out.inputIds.map((r) => r.length)).toEqual([width, width, width]);
    expect(width).toBeLessThan(128);
    rows.forEach((r, i) => {
      expect(out.inputIds[i]).toEqual([...r, ...new Array(width - r.length).fill(1)]);
      expect(out.attentionMask[i]).toEqual([...new Array(r.length).fill(1), ...new Array(width - r.length).fill(0)]);
    });
    // Truncation caps the width at maxLength.
    const capped = t.encodeBatch(texts, null, 6);
    expect(capped.inputIds.map((r) => r.length)).toEqual([6, 6, 6]);
    expect(t.encodeBatch([], null, 16)).toEqual({ inputIds: [], attentionMask: [] });
  });

  it('rejects a max length too short for the special tokens and mismatched pairs', () => {
    const t = tiny();
    expect(() => t.encodeBatch(['a'], null, 2)).toThrow(RangeError);
    expect(() => t.encodeBatch(['a'], ['b'], 5)).toThrow(/too short/);
    expect(() => t.encodeBatch(['a', 'b'], ['c'], 16)).toThrow(/2 texts but 1 pairs/);
  });
});

describe('errors', () => {
  const badInput = (fn: () => unknown): BadInputError => {
    try {
      fn();
    } catch (e) {
      expect(e).toBeInstanceOf(BadInputError);
      return e as BadInputError;
    }
    throw new Error('expected a BadInputError');
  };
  const named = (file: string) => `my-model/${file}`;

  it('says when the tokenizer has more tokens than the model', () => {
    const t = loadTokenizer(tokenizerFiles(), named);
    const e = badInput(() => checkTokenizerFitsModel(t, { vocabSize: 300 }));
    expect(e.message).toBe("my-model/tokenizer.json: has 400 tokens but config.json's vocab_size is 300; use the tokenizer that came with the model");
    expect(() => checkTokenizerFitsModel(t, { vocabSize: 400 })).not.toThrow();
    expect(() => checkTokenizerFitsModel(t, { vocabSize: 50265 })).not.toThrow();
  });

  it('names the file of a malformed tokenizer.json', () => {
    const good = readJson('tokenizer.json') as Record<string, unknown>;
    const model = good.model as Record<string, unknown>;
    const cases: [unknown, RegExp][] = [
      ['not an object', /is not a JSON object/],
      [null, /is not a JSON object/],
      [[1, 2], /is not a JSON object/],
      [{ version: '1.0' }, /has no "model" object/],
      [{ ...good, model: { ...model, merges: 7 } }, /"model.merges"/],
      [{ ...good, model: { ...model, vocab: { a: -1 } } }, /"model.vocab"/],
      [{ ...good, model: { ...model, type: 'Mystery' } }, /model type "Mystery"/],
      [{ ...good, added_tokens: 'x' }, /"added_tokens" is not a list/],
      [{ ...good, pre_tokenizer: { type: 'NoSuchPreTokenizer' } }, /is not a tokenizer this app can read/],
    ];
    for (const [json, why] of cases) {
      const e = badInput(() => loadTokenizer({ tokenizerJson: json }, named));
      expect(e.file).toBe('my-model/tokenizer.json');
      expect(e.message).toMatch(why);
    }
    const noPad = { ...good, added_tokens: [], model: { ...model, vocab: Object.fromEntries(Object.entries(model.vocab as object).filter(([k]) => k !== '<pad>')) } };
    expect(badInput(() => loadTokenizer({ tokenizerJson: noPad }, named)).message).toMatch(/has no pad_token "<pad>"/);
  });

  it('names the file of missing or malformed vocab.json, merges.txt and tokenizer_config.json', () => {
    expect(badInput(() => loadTokenizer({}, named)).message).toMatch(/^my-model\/tokenizer\.json: is missing.*vocab\.json and merges\.txt/);
    expect(badInput(() => loadTokenizer({ vocabJson: {} }, named)).message).toMatch(/and so is merges\.txt/);
    expect(badInput(() => loadTokenizer({ ...slowFiles(), vocabJson: ['a'] }, named)).file).toBe('my-model/vocab.json');
    const e = badInput(() => loadTokenizer({ ...slowFiles(), mergesTxt: '#version: 0.2\nĠ t\nonlyone\n' }, named));
    expect(e.file).toBe('my-model/merges.txt');
    expect(e.where).toBe('line 3');
    expect(badInput(() => loadTokenizer({ ...tokenizerFiles(), tokenizerConfig: 'x' }, named)).file).toBe('my-model/tokenizer_config.json');
  });

  // Found by test/fuzz-real-files.test.ts (one flipped bit in the demo's tokenizer_config.json: "<s>" became "=s>").
  it('names tokenizer_config.json when a special token it sets is not in the vocabulary', () => {
    const e = badInput(() => loadTokenizer({ ...tokenizerFiles(), tokenizerConfig: { ...(readJson('tokenizer_config.json') as object), cls_token: '=s>' } }, named));
    expect(e.message).toBe(
      'my-model/tokenizer_config.json (cls_token): "=s>" is not in the vocabulary of my-model/tokenizer.json; use the tokenizer files that came with the model (RoBERTa-family models need a cls_token)',
    );
    // Without a config the default token is looked up, and a vocabulary without it is tokenizer.json's fault.
    const good = readJson('tokenizer.json') as { model: { vocab: Record<string, number> } };
    const { '<mask>': _mask, ...vocab } = good.model.vocab;
    const noMask = { ...good, model: { ...good.model, vocab }, added_tokens: ((good as unknown as { added_tokens: { content: string }[] }).added_tokens ?? []).filter((t) => t.content !== '<mask>') };
    expect(badInput(() => loadTokenizer({ tokenizerJson: noMask }, named)).message).toBe('my-model/tokenizer.json: has no mask_token "<mask>" in its vocabulary; RoBERTa-family models need it');
  });

  // Found by model-files.property.test.ts.
  it('rejects token ids of 2^22 and above at once (an id of 1e9 stalled loading for a minute)', () => {
    const vocab = { ...(readJson('vocab.json') as Record<string, number>), huge: 1e9 };
    expect(badInput(() => loadTokenizer({ ...slowFiles(), vocabJson: vocab }, named)).message).toBe(
      'my-model/vocab.json: maps "huge" to 1000000000, not an integer id from 0 to 4194303; use the tokenizer files that came with the model',
    );
    const good = readJson('tokenizer.json') as Record<string, unknown>;
    const model = good.model as Record<string, unknown>;
    expect(badInput(() => loadTokenizer({ tokenizerJson: { ...good, model: { ...model, vocab: { ...(model.vocab as object), huge: 2 ** 31 } } } }, named)).message).toMatch(
      /"model.vocab" maps "huge" to 2147483648, not an integer id/,
    );
    expect(badInput(() => loadTokenizer({ tokenizerJson: { ...good, added_tokens: [{ id: 1e9, content: 'x' }] } }, named)).message).toMatch(/"added_tokens" entry 0 is not \{"id": <integer from 0 to 4194303>/);
  });

  it('finds special tokens among vocab.json own keys only (a "__proto__" sep_token read Object.prototype as its id)', () => {
    const e = badInput(() => loadTokenizer({ ...slowFiles(), tokenizerConfig: { sep_token: '__proto__' } }, named));
    expect(e.message).toBe('my-model/vocab.json: has no "__proto__" token; RoBERTa-family models need it');
  });

  it('rejects a model whose unknown token is not in its vocabulary (encoding gave undefined or out-of-range ids)', () => {
    const vocab = { '<s>': 0, '<pad>': 1, '</s>': 2, '<unk>': 3, '<mask>': 4 };
    const noUnk = /^my-model\/tokenizer\.json: has no token id for part of "Hello, world! 123 é 😀": its unknown token \("model.unk_token" or "model.unk_id"\) is not in its vocabulary/;
    expect(badInput(() => loadTokenizer({ tokenizerJson: { model: { type: 'BPE', vocab, merges: [], unk_token: 'missing' } } }, named)).message).toMatch(noUnk);
    expect(badInput(() => loadTokenizer({ tokenizerJson: { model: { type: 'WordPiece', vocab } } }, named)).message).toMatch(noUnk);
    expect(badInput(() => loadTokenizer({ tokenizerJson: { model: { type: 'Unigram', vocab: Object.keys(vocab).map((t) => [t, 0]) } } }, named)).message).toMatch(noUnk);
    const unigram = (unk_id: number) => ({ model: { type: 'Unigram', vocab: Object.keys(vocab).map((t) => [t, 0]), unk_id } });
    expect(badInput(() => loadTokenizer({ tokenizerJson: unigram(-1) }, named)).message).toMatch(/has "model.unk_id" -1, not an index into its 5-piece "model.vocab"/);
    expect(badInput(() => loadTokenizer({ tokenizerJson: unigram(5) }, named)).message).toMatch(/has "model.unk_id" 5, not an index/);
    expect(loadTokenizer({ tokenizerJson: unigram(3) }).encodeText('zz').every((id) => id === 3)).toBe(true);
  });
});

describe('offline', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('imports and encodes without fetch, and the tokenizer library has no imports or network code', async () => {
    const fetchSpy = vi.fn(() => Promise.reject(new Error('network used')));
    vi.stubGlobal('fetch', fetchSpy);
    vi.resetModules();
    const fresh = await import('./tokenizer');
    fresh.loadTokenizer(tokenizerFiles()).encodeBatch(['hello'], ['world'], 16);
    expect(fetchSpy).not.toHaveBeenCalled();

    const ownImports = [...readFileSync(join(__dirname, 'tokenizer.ts'), 'utf8').matchAll(/^import .* from '([^']+)';$/gm)].map((m) => m[1]);
    expect(ownImports.sort()).toEqual(['../../errors', '@huggingface/tokenizers']);
    const library = readFileSync(join(__dirname, '../../../node_modules/@huggingface/tokenizers/dist/tokenizers.mjs'), 'utf8');
    expect(library).not.toMatch(/^\s*import\s/m);
    expect(library).not.toMatch(/\bfetch\s*\(|XMLHttpRequest|importScripts|require\(/);
  });

  it("matches transformers.js' PreTrainedTokenizer built from the same files, with remote and local loading off", async () => {
    const fetchSpy = vi.fn(() => Promise.reject(new Error('network used')));
    vi.stubGlobal('fetch', fetchSpy);
    const { env, PreTrainedTokenizer } = await import('@huggingface/transformers');
    env.allowRemoteModels = false;
    env.allowLocalModels = false;
    const reference = new PreTrainedTokenizer(readJson('tokenizer.json') as object, readJson('tokenizer_config.json') as object);
    const ours = tiny();
    for (const c of expected.cases) {
      expect(reference.encode(c.text, { text_pair: c.pair ?? null }), JSON.stringify(c.text)).toEqual(c.ids);
    }
    for (const text of ROUND_TRIP.filter(Boolean)) {
      expect(ours.encodeText(text)).toEqual(reference.encode(text, { add_special_tokens: false }));
    }
    expect(fetchSpy).not.toHaveBeenCalled();
  });
});
