import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { openSafetensors, parseSafetensors, readTensor, readTensorF32, writeSafetensors } from './safetensors';
import { bytesSource } from './byte-source';
import { BadInputError } from '../../errors';
import { runs, seedFastCheck } from '../../../test/fuzz-seed';

seedFastCheck();

/** A file with a hand-written header, to make any dtype and any corruption. */
function rawFile(header: Record<string, unknown>, data: Uint8Array): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

const u16 = (values: number[]) => new Uint8Array(Uint16Array.from(values).buffer);

describe('safetensors', () => {
  it('round-trips f32 tensors with metadata, in memory and through a byte source', async () => {
    const a = { data: Float32Array.from([1, -2.5, 3e-8, 4e8]), shape: [2, 2] };
    const b = { data: Float32Array.from([7]), shape: [1] };
    const bytes = writeSafetensors([['a', a], ['b.c', b]], { format: 'pt' });
    const st = parseSafetensors(bytes, 'x.safetensors');
    expect(st.metadata).toEqual({ format: 'pt' });
    expect(readTensorF32(st, 'a')).toEqual(a);
    const streamed = await openSafetensors(bytesSource(bytes, 'x.safetensors'));
    expect(await readTensor(streamed, 'b.c')).toEqual(b);
  });

  it('widens F16 and BF16 (incl. subnormals, infinities) and converts I64', () => {
    const f16 = u16([0x3c00, 0xc000, 0x0001, 0x7c00, 0x3555]); // 1, -2, 2^-24, inf, ≈0.33325
    const bf16 = u16([0x3f80, 0xc040, 0x0000]); // 1, -3, 0
    const i64 = new Uint8Array(BigInt64Array.from([5n, -7n]).buffer);
    const data = new Uint8Array([...f16, ...bf16, ...i64]);
    const st = parseSafetensors(
      rawFile(
        {
          h: { dtype: 'F16', shape: [5], data_offsets: [0, 10] },
          b: { dtype: 'BF16', shape: [3], data_offsets: [10, 16] },
          i: { dtype: 'I64', shape: [2], data_offsets: [16, 32] },
        },
        data,
      ),
      'mixed.safetensors',
    );
    const h = readTensorF32(st, 'h').data;
    expect([h[0], h[1], h[2], h[3]]).toEqual([1, -2, 2 ** -24, Infinity]);
    expect(h[4]).toBeCloseTo(0.33325, 5);
    expect([...readTensorF32(st, 'b').data]).toEqual([1, -3, 0]);
    expect([...readTensorF32(st, 'i').data]).toEqual([5, -7]);
  });

  const corrupt: Array<[string, Uint8Array, RegExp]> = [
    ['too short', new Uint8Array(5), /bad\.safetensors: is 5 bytes long, too short/],
    ['header length past the end', (() => { const b = new Uint8Array(16); new DataView(b.buffer).setBigUint64(0, 1000n, true); return b; })(), /declares a 1000-byte header \(1008 bytes with its length\) but the file has 16 bytes/],
    ['header not JSON', (() => { const b = rawFile({}, new Uint8Array()); b[8] = 0x7b; b[9] = 0x7b; return b; })(), /header is not valid JSON/],
    ['offsets outside the file', rawFile({ w: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, new Uint8Array(8)), /\(tensor w\): data ends at byte \d+ but the file has \d+ bytes; the file is truncated/],
    ['unknown dtype', rawFile({ w: { dtype: 'F8_E4M3', shape: [1], data_offsets: [0, 1] } }, new Uint8Array(1)), /\(tensor w\): unsupported dtype "F8_E4M3"; supported: F32, F16, BF16, I64, I32/],
    ['shape/bytes mismatch', rawFile({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, new Uint8Array(8)), /\(tensor w\): holds 8 bytes but shape \[3\] of F32 needs 12/],
  ];
  for (const [what, bytes, message] of corrupt) {
    it(`names the file and the problem: ${what}`, async () => {
      expect(() => parseSafetensors(bytes, 'bad.safetensors')).toThrow(message);
      await expect(openSafetensors(bytesSource(bytes, 'bad.safetensors'))).rejects.toThrow(message);
    });
  }

  describe('the format\'s rules (huggingface/safetensors README, "Format")', () => {
    const f32 = (n: number, at: number) => ({ dtype: 'F32', shape: [n], data_offsets: [at, at + 4 * n] });
    const rules: Array<[string, Uint8Array, RegExp]> = [
      ['a gap between two tensors', rawFile({ a: f32(1, 0), b: f32(1, 8) }, new Uint8Array(12)), /\(tensor b\): data_offsets \[8,12\] leave bytes 4–8 after tensor a's \[0,4\] unused; safetensors requires/],
      ['two tensors that overlap', rawFile({ a: f32(2, 0), b: f32(2, 4) }, new Uint8Array(12)), /\(tensor b\): data_offsets \[4,12\] overlap tensor a's \[0,8\]; safetensors requires/],
      ['two tensors on the same bytes', rawFile({ a: f32(1, 0), b: f32(1, 0) }, new Uint8Array(4)), /\(tensor [ab]\): data_offsets \[0,4\] overlap tensor [ab]'s \[0,4\]/],
      ['a first tensor after byte 0', rawFile({ a: f32(1, 4) }, new Uint8Array(8)), /\(tensor a\): data_offsets \[4,8\] leave bytes 0–4 at the start of the data section unused/],
      ['bytes after the last tensor', rawFile({ a: f32(1, 0) }, new Uint8Array(12)), /: its data section has 12 bytes but the tensors cover only its first 4; 8 bytes at the end belong to no tensor/],
      ['data but no tensors', rawFile({ __metadata__: { format: 'pt' } }, new Uint8Array(4)), /: its data section has 4 bytes but the header lists no tensors/],
      ['a tensor named twice', withHeader(utf8('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"I32","shape":[1],"data_offsets":[0,4]}}'), new Uint8Array(4)), /\(tensor a\): appears twice in the header/],
      ['__metadata__ given twice', withHeader(utf8('{"__metadata__":{"x":"1"},"__metadata__":{"x":"2"}}'), new Uint8Array()), /\(__metadata__\): appears twice in the header/],
      ['a header that does not start with {', withHeader(utf8(' {}'), new Uint8Array()), /: its header must be a JSON object starting with '\{' but starts with " \{\}"/],
      ['a header that is not UTF-8', withHeader(new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]), new Uint8Array()), /: its header is not valid UTF-8 text/],
      ['a header cut inside its JSON', withHeader(utf8('{"a":'), new Uint8Array()), /: its header is not valid JSON/],
      ['a header that is a JSON array', withHeader(utf8('[]'), new Uint8Array()), /: its header must be a JSON object starting with '\{' but starts with "\[\]"/],
      ['a header length of 2^64 - 1', withLength(2n ** 64n - 1n, rawFile({}, new Uint8Array())), /declares a 18446744073709551615-byte header \(18446744073709551623 bytes with its length\) but the file has 10 bytes; the file is truncated/],
      ['a shape whose size overflows', rawFile({ a: { dtype: 'F32', shape: [2 ** 40, 2 ** 40], data_offsets: [0, 4] } }, new Uint8Array(4)), /\(tensor a\): holds 4 bytes but shape \[1099511627776,1099511627776\] of F32 needs more than 2\^53/],
      ['a dimension past 2^53', rawFile({ a: { dtype: 'F32', shape: [2 ** 60, 0], data_offsets: [0, 0] } }, new Uint8Array()), /\(tensor a\): invalid shape \[1152921504606847000,0\]/],
      ['metadata that is not all strings', rawFile({ __metadata__: { format: 'pt', n: 3 } }, new Uint8Array()), /\(__metadata__\): must map names to strings, got \{"format":"pt","n":3\}/],
    ];
    for (const [what, bytes, message] of rules) {
      it(`refuses ${what}, naming the file and what to do`, async () => {
        expect(() => parseSafetensors(bytes, 'bad.safetensors')).toThrow(BadInputError);
        expect(() => parseSafetensors(bytes, 'bad.safetensors')).toThrow(message);
        await expect(openSafetensors(bytesSource(bytes, 'bad.safetensors'))).rejects.toThrow(message);
        expect(() => parseSafetensors(bytes, 'bad.safetensors')).toThrow(/^bad\.safetensors.*download or export it again$/);
      });
    }

    it('refuses a header longer than the format allows (100,000,000 bytes), before reading it', async () => {
      // A 100 MB file that is never held: its source serves the length field and counts what else is read.
      const size = 8 + 100_000_001;
      const asked: number[] = [];
      const huge = {
        name: 'huge.safetensors',
        size,
        read: async (offset: number, length: number) => {
          asked.push(length);
          const out = new Uint8Array(length);
          if (offset === 0) new DataView(out.buffer).setBigUint64(0, 100_000_001n, true);
          return out;
        },
      };
      await expect(openSafetensors(huge)).rejects.toThrow(
        /^huge\.safetensors: declares a 100000001-byte header, above the safetensors limit of 100000000 bytes; the file is corrupt or not safetensors: download or export it again$/,
      );
      expect(asked).toEqual([8]);
    });

    it('accepts ranges listed in any order, empty tensors, scalars and space padding', () => {
      const header = { b: { dtype: 'F32', shape: [], data_offsets: [4, 8] }, e: { dtype: 'F16', shape: [0, 3], data_offsets: [4, 4] }, a: f32(1, 0) };
      const data = new Uint8Array(new Float32Array([1.5, -2]).buffer);
      const json = utf8(`${JSON.stringify(header)}   `);
      const st = parseSafetensors(withHeader(json, data), 'ok.safetensors');
      expect([...readTensorF32(st, 'a').data, ...readTensorF32(st, 'b').data]).toEqual([1.5, -2]);
      expect(readTensorF32(st, 'e')).toEqual({ data: new Float32Array(0), shape: [0, 3] });
      expect(readTensorF32(st, 'b').shape).toEqual([]);
    });

    it('reports a source that became shorter than its header says', async () => {
      const bytes = writeSafetensors([['w', { data: Float32Array.from([1, 2, 3]), shape: [3] }]]);
      const shrinking = { ...bytesSource(bytes, 'live.safetensors'), read: async (offset: number, length: number) => bytes.subarray(offset, Math.min(offset + length, bytes.length - 4)) };
      const st = await openSafetensors(shrinking);
      await expect(readTensor(st, 'w')).rejects.toThrow(/^live\.safetensors \(tensor w\): only 8 of its 12 bytes could be read; the file changed or was cut short/);
    });

    it('writes what it reads: any tensor name (non-ASCII, __proto__) with 8-byte-aligned data; refuses a name given twice', () => {
      const w = { data: Float32Array.from([1, 2]), shape: [2] };
      const bytes = writeSafetensors([['é→層', w], ['__proto__', w], ['constructor', w]], { note: 'ünïcode' });
      const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
      expect((8 + headerLength) % 8).toBe(0);
      const st = parseSafetensors(bytes, 'names.safetensors');
      expect([...st.tensors.keys()]).toEqual(['é→層', '__proto__', 'constructor']);
      for (const name of st.tensors.keys()) expect(readTensorF32(st, name)).toEqual(w);
      expect(st.metadata.note).toBe('ünïcode');
      expect(() => writeSafetensors([['a', w], ['a', w]])).toThrow('writeSafetensors: a is given twice');
    });
  });

  it('never crashes on random bytes: a parse or a BadInputError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        try {
          const st = parseSafetensors(bytes, 'random.safetensors');
          for (const name of st.tensors.keys()) readTensorF32(st, name);
        } catch (e) {
          if (!(e instanceof BadInputError)) throw e;
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('never crashes on random header bytes behind a valid length prefix', () => {
    // Random JSON text with one byte changed or cut short, or plain random bytes.
    const headerBytes = fc.oneof(
      fc.uint8Array({ maxLength: 64 }),
      fc.tuple(anyJson, fc.nat(), fc.nat(255), fc.boolean()).map(([json, at, byte, cut]) => {
        const bytes = new TextEncoder().encode(JSON.stringify(json));
        if (bytes.length === 0) return bytes;
        if (cut) return bytes.subarray(0, at % bytes.length);
        bytes[at % bytes.length] = byte;
        return bytes;
      }),
    );
    fc.assert(
      fc.property(headerBytes, fc.uint8Array({ maxLength: 16 }), (header, data) => {
        // The prefix is right, so the length check never answers: the header parser does.
        expect(parseOrError(withHeader(header, data))).not.toMatch(/declares a \d+-byte header/);
      }),
      { numRuns: 1000 },
    );
  });

  it('never crashes on random JSON headers: odd dtypes, shapes, data_offsets and __metadata__', () => {
    const outcomes = new Set<string>();
    fc.assert(
      fc.property(randomHeader, fc.uint8Array({ maxLength: 64 }), (header, data) => {
        const outcome = parseOrError(withHeader(new TextEncoder().encode(JSON.stringify(header)), data));
        outcomes.add(outcome === 'ok' ? 'ok' : (/__metadata__|unsupported dtype|invalid shape|invalid data_offsets|holds \d+ bytes but/.exec(outcome)?.[0].replace(/\d+/, 'N') ?? 'other'));
      }),
      { numRuns: 1000 },
    );
    // The generator reaches every check, and valid files too.
    expect([...outcomes]).toEqual(expect.arrayContaining(['ok', '__metadata__', 'unsupported dtype', 'invalid shape', 'invalid data_offsets', 'holds N bytes but']));
  });
});

const utf8 = (text: string) => new TextEncoder().encode(text);

/** `bytes` with its 8-byte header length replaced by `length`. */
function withLength(length: bigint, bytes: Uint8Array): Uint8Array {
  const out = bytes.slice();
  new DataView(out.buffer).setBigUint64(0, length, true);
  return out;
}

describe('safetensors files built at random (fast-check)', () => {
  /** Tensors with distinct names, random dtypes and shapes (some empty, some scalars), their bytes random. */
  const tensors = fc
    .uniqueArray(fc.record({ name: fc.oneof(fc.string({ maxLength: 6 }), prototypeKey), dtype, shape: fc.array(fc.nat(3), { maxLength: 3 }) }), { selector: (t) => t.name, maxLength: 5 })
    .chain((list) =>
      fc.tuple(
        fc.constant(list),
        fc.tuple(...list.map((t) => fc.uint8Array({ minLength: size(t), maxLength: size(t) }))),
        fc.shuffledSubarray(list.map((_, i) => i), { minLength: list.length, maxLength: list.length }), // the order of the data
        fc.shuffledSubarray(list.map((_, i) => i), { minLength: list.length, maxLength: list.length }), // the order of the header's keys
        fc.option(fc.dictionary(fc.string({ maxLength: 4 }), fc.string({ maxLength: 4 }), { maxKeys: 2 }), { nil: undefined }),
        fc.nat(7),
      ),
    )
    .map(([list, data, dataOrder, keyOrder, metadata, padding]) => {
      const offsets: number[][] = [];
      let at = 0;
      for (const i of dataOrder) {
        offsets[i] = [at, at + data[i].length];
        at += data[i].length;
      }
      const entries = keyOrder.map((i) => [list[i].name, { dtype: list[i].dtype, shape: list[i].shape, data_offsets: offsets[i] }] as const);
      return { list, data, dataOrder, offsets, entries, metadata, padding };
    });

  function build(t: { data: Uint8Array[]; dataOrder: number[]; entries: ReadonlyArray<readonly [string, unknown]>; metadata?: Record<string, string>; padding: number }): Uint8Array {
    const header = Object.create(null) as Record<string, unknown>;
    if (t.metadata) header.__metadata__ = t.metadata;
    for (const [name, entry] of t.entries) header[name] = entry;
    const data = new Uint8Array(t.data.reduce((n, d) => n + d.length, 0));
    let at = 0;
    for (const i of t.dataOrder) {
      data.set(t.data[i], at);
      at += t.data[i].length;
    }
    return withHeader(utf8(JSON.stringify(header) + ' '.repeat(t.padding)), data);
  }

  it('reads back every tensor of a valid file, in any header or data order', () => {
    fc.assert(
      fc.property(tensors, (t) => {
        const st = parseSafetensors(build(t), 'built.safetensors');
        expect(st.tensors.size).toBe(t.list.length);
        t.list.forEach(({ name, shape }, i) => {
          const info = st.tensors.get(name)!;
          expect(info.shape).toEqual(shape);
          expect(st.bytes.subarray(info.begin, info.end)).toEqual(t.data[i]);
        });
        expect(st.metadata).toEqual(t.metadata ?? {});
      }),
      runs(300),
    );
  });

  it('refuses the file when any non-empty tensor\'s range moves or changes length', () => {
    const edited = tensors
      .filter((t) => t.list.some((_, i) => t.data[i].length > 0))
      .chain((t) =>
        fc.tuple(
          fc.constant(t),
          fc.constantFrom(...t.list.flatMap((_, i) => (t.data[i].length > 0 ? [i] : []))),
          fc.tuple(fc.integer({ min: -8, max: 8 }), fc.integer({ min: -8, max: 8 })).filter(([a, b]) => a !== 0 || b !== 0),
        ),
      );
    fc.assert(
      fc.property(edited, ([t, which, [dBegin, dEnd]]) => {
        const [begin, end] = t.offsets[which];
        const moved = [begin + dBegin, end + dEnd];
        const entries = t.entries.map(([name, entry]) => (name === t.list[which].name ? ([name, { ...(entry as object), data_offsets: moved }] as const) : ([name, entry] as const)));
        expect(() => parseSafetensors(build({ ...t, entries }), 'edited.safetensors')).toThrow(BadInputError);
      }),
      runs(300),
    );
  });
});

const size = (t: { dtype: keyof typeof DTYPE_BYTES; shape: number[] }) => t.shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[t.dtype];

/** A file whose length prefix matches the header bytes given, then data. */
function withHeader(header: Uint8Array, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + header.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(header.length), true);
  out.set(header, 8);
  out.set(data, 8 + header.length);
  return out;
}

/** 'ok' after reading every tensor back, or the message of the BadInputError (naming the file first); anything else thrown fails. */
function parseOrError(bytes: Uint8Array): string {
  try {
    const st = parseSafetensors(bytes, 'random.safetensors');
    for (const [name, info] of st.tensors) expect(readTensorF32(st, name).data.length).toBe(info.shape.reduce((a, b) => a * b, 1));
    for (const value of Object.values(st.metadata)) expect(typeof value).toBe('string');
    return 'ok';
  } catch (e) {
    if (!(e instanceof BadInputError)) throw e;
    expect(e.message.startsWith('random.safetensors')).toBe(true);
    return e.message;
  }
}

const anyJson = fc.jsonValue({ maxDepth: 2 });
const prototypeKey = fc.constantFrom('constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf');
const DTYPE_BYTES = { F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4 } as const;
const dtype = fc.constantFrom(...(Object.keys(DTYPE_BYTES) as (keyof typeof DTYPE_BYTES)[]));
/** A tensor entry that fits the data when the data is long enough. */
const validEntry = fc.tuple(dtype, fc.array(fc.nat(3), { maxLength: 2 }), fc.nat(8)).map(([d, shape, at]) => ({
  dtype: d,
  shape,
  data_offsets: [at, at + shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[d]],
}));
const oddNumber = fc.oneof(fc.integer({ min: -2, max: 64 }), fc.constantFrom(1.5, 2 ** 31, 2 ** 32, 2 ** 53, 1e300, -0), anyJson);
const odd = {
  dtype: fc.oneof(prototypeKey, fc.constantFrom('U8', 'F8_E4M3', 'f32', '', undefined), anyJson),
  shape: fc.oneof(fc.array(fc.nat(4), { maxLength: 3 }), fc.array(oddNumber, { maxLength: 4 }), fc.constantFrom([2 ** 53, 2 ** 53, 0], [1e300, 0], undefined), anyJson),
  data_offsets: fc.oneof(fc.tuple(oddNumber, oddNumber), fc.array(oddNumber, { maxLength: 3 }), fc.constant(undefined), anyJson),
};
/** A valid entry with one field odd (or missing). */
const oddEntry = fc
  .tuple(validEntry, fc.constantFrom('dtype', 'shape', 'data_offsets' as const), fc.record(odd))
  .map(([entry, key, values]) => ({ ...entry, [key]: values[key] }));
const metadataKey = fc.oneof(fc.string({ maxLength: 5 }), prototypeKey);
const metadata = fc.oneof(
  { weight: 3, arbitrary: fc.dictionary(metadataKey, fc.string({ maxLength: 5 }), { maxKeys: 3 }) },
  { weight: 1, arbitrary: fc.dictionary(metadataKey, anyJson, { maxKeys: 3 }) },
  { weight: 1, arbitrary: anyJson },
);
const tensorName = fc.oneof(fc.string({ maxLength: 5 }), prototypeKey);
/** Mostly {__metadata__?, tensor: entry, …} (metadata first, so it is checked before any tensor fails); sometimes any JSON. */
const randomHeader = fc.oneof(
  { weight: 1, arbitrary: anyJson },
  {
    weight: 6,
    arbitrary: fc
      .tuple(fc.option(metadata, { nil: undefined }), fc.dictionary(tensorName, fc.oneof(validEntry, oddEntry, anyJson), { maxKeys: 3 }))
      .map(([meta, tensors]) => ({ __metadata__: meta, ...tensors })),
  },
);
