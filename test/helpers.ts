/** Shared test helpers: one GPU context per test file, seeded random data, tolerance checks. */
import { expect } from 'vitest';
import { GpuContext } from '../src/gpu/context';
import { acquireNodeGpu } from '../src/platform/node/gpu';
import { mulberry32 } from '../src/engine/random';
import type { ByteSource } from '../src/engine/io/byte-source';

let shared: Promise<GpuContext> | null = null;

/** The test file's GPU context (Node, Dawn on SwiftShader in CI). */
export function gpuContext(): Promise<GpuContext> {
  shared ??= acquireNodeGpu().then((gpu) => new GpuContext(gpu));
  return shared;
}

/** Deterministic PRNG so failures reproduce. */
export const rng = mulberry32;

/** Uniform values in [-scale, scale). */
export function randomArray(n: number, seed: number, scale = 1): Float32Array {
  const r = rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (r() * 2 - 1) * scale;
  return out;
}

/** Largest |actual - expected| relative to the largest |expected| (the PyTorch fixture tests hold it under 1e-4). */
export function maxRelativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let maxDiff = 0;
  let maxRef = 0;
  for (let i = 0; i < expected.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(actual[i] - expected[i]));
    maxRef = Math.max(maxRef, Math.abs(expected[i]));
  }
  if (Number.isNaN(maxDiff)) return Infinity;
  return maxDiff / Math.max(maxRef, 1e-30);
}

export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance = 1e-5, what = 'tensor'): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  for (let i = 0; i < actual.length; i++) {
    if (!Number.isFinite(actual[i])) throw new Error(`${what}: element ${i} is ${actual[i]}`);
  }
  const err = maxRelativeError(actual, expected);
  expect(err, `${what}: max relative error ${err.toExponential(2)} > ${tolerance}`).toBeLessThanOrEqual(tolerance);
}

/** An in-memory safetensors file that counts the reads past its header (tensor data). */
export function countingSource(bytes: Uint8Array, file: string): ByteSource & { dataReads: number } {
  const headerEnd = 8 + Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const source = {
    name: file,
    size: bytes.byteLength,
    dataReads: 0,
    async read(offset: number, length: number) {
      if (offset >= headerEnd) source.dataReads++;
      return bytes.slice(offset, offset + length);
    },
  };
  return source;
}
