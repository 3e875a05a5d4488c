/**
 * Random corruption of real files, for the fuzz tests (test/fuzz-*.test.ts): byte flips,
 * truncation, insertions, deletions, a duplicated range, and (safetensors) a tampered header-length
 * field. Each corruption is data (printed by fast-check on failure) applied to a copy of the file.
 */
import fc from 'fast-check';

export type Corruption =
  | { kind: 'flip'; flips: Array<{ at: number; mask: number }> }
  | { kind: 'truncate'; at: number }
  | { kind: 'insert'; at: number; bytes: number[] }
  | { kind: 'delete'; at: number; count: number }
  | { kind: 'duplicate'; from: number; length: number; to: number }
  | { kind: 'headerLength'; value: bigint };

export { FUZZ_SEED, runs } from './fuzz-seed';

/**
 * A position in a file of `size` bytes; half of them fall in [0, hot) (a safetensors header, where
 * a corruption means most), the rest anywhere.
 */
function position(size: number, hot = size): fc.Arbitrary<number> {
  const max = Math.max(0, size - 1);
  return fc.oneof(fc.nat(Math.min(max, Math.max(0, hot - 1))), fc.nat(max));
}

/** One corruption of a file of `size` bytes (size ≥ 1), mostly near its first `hot` bytes. */
export function corruption(size: number, options: { hot?: number; headerLength?: bigint } = {}): fc.Arbitrary<Corruption> {
  const at = position(size, options.hot);
  const kinds: fc.Arbitrary<Corruption>[] = [
    fc.array(fc.record({ at, mask: fc.integer({ min: 1, max: 255 }) }), { minLength: 1, maxLength: 4 }).map((flips) => ({ kind: 'flip' as const, flips })),
    at.map((p) => ({ kind: 'truncate' as const, at: p })),
    fc.record({ at, bytes: fc.array(fc.nat(255), { minLength: 1, maxLength: 16 }) }).map((c) => ({ kind: 'insert' as const, ...c })),
    fc.record({ at, count: fc.integer({ min: 1, max: 16 }) }).map((c) => ({ kind: 'delete' as const, ...c })),
    fc.record({ from: at, length: fc.integer({ min: 1, max: 64 }), to: at }).map((c) => ({ kind: 'duplicate' as const, ...c })),
  ];
  const declared = options.headerLength;
  if (declared !== undefined) {
    const off = fc.oneof(
      fc.integer({ min: -16, max: 16 }).filter((d) => d !== 0).map((d) => declared + BigInt(d)),
      fc.bigInt({ min: 0n, max: 2n ** 32n }),
      fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
      fc.constantFrom(0n, 1n, 2n, 100_000_000n, 100_000_001n, BigInt(size), BigInt(size - 8), 2n ** 53n, 2n ** 63n, 2n ** 64n - 1n),
    );
    kinds.push(off.filter((v) => v >= 0n && v < 2n ** 64n && v !== declared).map((value) => ({ kind: 'headerLength' as const, value })));
  }
  return fc.oneof(...kinds);
}

/** `bytes` with the corruption applied (a new array; `bytes` is untouched). */
export function corrupt(bytes: Uint8Array, c: Corruption): Uint8Array {
  const clamp = (p: number) => Math.min(p, bytes.length);
  switch (c.kind) {
    case 'flip': {
      const out = bytes.slice();
      for (const { at, mask } of c.flips) out[at % out.length] ^= mask;
      return out;
    }
    case 'truncate':
      return bytes.slice(0, clamp(c.at));
    case 'insert':
      return concat(bytes.subarray(0, clamp(c.at)), Uint8Array.from(c.bytes), bytes.subarray(clamp(c.at)));
    case 'delete':
      return concat(bytes.subarray(0, clamp(c.at)), bytes.subarray(clamp(c.at + c.count)));
    case 'duplicate': {
      const range = bytes.slice(clamp(c.from), clamp(c.from + c.length));
      return concat(bytes.subarray(0, clamp(c.to)), range, bytes.subarray(clamp(c.to)));
    }
    case 'headerLength': {
      const out = bytes.slice();
      new DataView(out.buffer).setBigUint64(0, c.value, true);
      return out;
    }
  }
}

/**
 * Runs `use` on `bytes` corrupted, without allocating a fresh copy of a large file each run (the
 * demo model is 20 MB): flips and a header-length change are made in place and undone afterwards,
 * a truncation is a view, and the others are written into one reused scratch buffer.
 */
export async function withCorrupted<T>(bytes: Uint8Array, c: Corruption, use: (corrupted: Uint8Array) => Promise<T>): Promise<T> {
  if (c.kind === 'truncate') return use(bytes.subarray(0, Math.min(c.at, bytes.length)));
  if (c.kind === 'flip' || c.kind === 'headerLength') {
    const saved = bytes.slice(0, 8);
    const flips = c.kind === 'flip' ? c.flips.map(({ at, mask }) => ({ at: at % bytes.length, was: bytes[at % bytes.length], mask })) : [];
    for (const { at, mask } of flips) bytes[at] ^= mask;
    if (c.kind === 'headerLength') new DataView(bytes.buffer, bytes.byteOffset).setBigUint64(0, c.value, true);
    try {
      return await use(bytes);
    } finally {
      for (const { at, was } of flips.reverse()) bytes[at] = was;
      bytes.set(saved, 0);
    }
  }
  const clamp = (p: number) => Math.min(p, bytes.length);
  const parts =
    c.kind === 'insert'
      ? [bytes.subarray(0, clamp(c.at)), Uint8Array.from(c.bytes), bytes.subarray(clamp(c.at))]
      : c.kind === 'delete'
        ? [bytes.subarray(0, clamp(c.at)), bytes.subarray(clamp(c.at + c.count))]
        : [bytes.subarray(0, clamp(c.to)), bytes.subarray(clamp(c.from), clamp(c.from + c.length)), bytes.subarray(clamp(c.to))];
  const length = parts.reduce((n, p) => n + p.length, 0);
  if (!scratch || scratch.length < length) scratch = new Uint8Array(length + 1024);
  let at = 0;
  for (const p of parts) {
    scratch.set(p, at);
    at += p.length;
  }
  return use(scratch.subarray(0, length));
}
let scratch: Uint8Array | null = null;

/** Whether the corruption changed the file's length or its header-length field (always detectable in safetensors). */
export function changesLayout(bytes: Uint8Array, c: Corruption): boolean {
  if (c.kind === 'flip') return c.flips.some(({ at }) => at % bytes.length < 8);
  if (c.kind === 'duplicate') return Math.min(c.from + c.length, bytes.length) > Math.min(c.from, bytes.length);
  if (c.kind === 'delete') return c.at < bytes.length;
  return true;
}

/** The byte positions a flip changed (none for other corruptions), to tell header from data corruption. */
export function flipped(bytes: Uint8Array, c: Corruption): number[] {
  return c.kind === 'flip' ? c.flips.map(({ at }) => at % bytes.length) : [];
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * Runs a synchronous parse and checks it returned within `ms` (a parse that loops or backtracks
 * for long fails the property with its input instead of stalling the suite until its timeout).
 */
export function timed<T>(ms: number, work: () => T): T {
  const start = performance.now();
  try {
    return work();
  } finally {
    const took = performance.now() - start;
    if (took > ms) throw new Error(`the parse took ${took.toFixed(0)} ms, more than the ${ms} ms allowed`);
  }
}

export async function timedAsync<T>(ms: number, work: () => Promise<T>): Promise<T> {
  const start = performance.now();
  try {
    return await work();
  } finally {
    const took = performance.now() - start;
    if (took > ms) throw new Error(`the parse took ${took.toFixed(0)} ms, more than the ${ms} ms allowed`);
  }
}
