import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { openSafetensors, parseSafetensors, readTensor, readTensorF32, writeSafetensors } from './safetensors';
import { bytesSource } from './byte-source';
import { BadInputError } from '../gpu/errors';

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
    ['header length past the end', (() => { const b = new Uint8Array(16); new DataView(b.buffer).setBigUint64(0, 1000n, true); return b; })(), /declares a 1000-byte header but the file has 16 bytes/],
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

  it('never crashes on a valid prefix with random headers', () => {
    const header = fc.dictionary(
      fc.string({ maxLength: 5 }),
      fc.record({ dtype: fc.constantFrom('F32', 'F16', 'BF16', 'I64', 'I32', 'U8', 7), shape: fc.array(fc.integer({ min: -2, max: 5 }), { maxLength: 3 }), data_offsets: fc.array(fc.integer({ min: -4, max: 64 }), { maxLength: 3 }) }),
    );
    fc.assert(
      fc.property(header, fc.uint8Array({ maxLength: 64 }), (h, data) => {
        try {
          const st = parseSafetensors(rawFile(h, data), 'random.safetensors');
          for (const name of st.tensors.keys()) readTensorF32(st, name);
        } catch (e) {
          if (!(e instanceof BadInputError)) throw e;
        }
      }),
      { numRuns: 2000 },
    );
  });
});
