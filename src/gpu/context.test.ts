import { describe, expect, it } from 'vitest';
import { gpuContext } from '../../test/helpers';
import { bucketSize } from './buffers';
import { DeviceLostError, KernelError } from '../errors';
import { GpuContext } from './context';
import { acquireNodeGpu } from '../platform/node/gpu';

describe('buffer pool', () => {
  it('rounds sizes up to buckets', () => {
    expect(bucketSize(1)).toBe(256);
    expect(bucketSize(1000)).toBe(1024);
    expect(bucketSize(1 << 20)).toBe(1 << 20);
    expect(bucketSize((1 << 20) + 1)).toBe((1 << 20) + (1 << 17)); // 1/16 steps of the next power of two
    expect(bucketSize(1 << 16)).toBe(1 << 16);
    expect(bucketSize((1 << 16) + 1)).toBe((1 << 16) + (1 << 13));
    expect(bucketSize(683 * 256 * 4)).toBe(704 * 1024); // a pruned [683, 256] weight: 4% over, not 50%
    for (let bytes = 1; bytes < 1 << 24; bytes = Math.ceil(bytes * 1.37)) {
      expect(bucketSize(bytes)).toBeGreaterThanOrEqual(bytes);
      if (bytes > 1 << 16) expect(bucketSize(bytes) / bytes).toBeLessThanOrEqual(1.125);
    }
  });

  it('reuses released buffers and counts live and peak bytes', async () => {
    const ctx = await gpuContext();
    ctx.pool.trim();
    ctx.pool.resetPeak();
    const before = ctx.pool.allocatedBytes;
    const inUseBefore = ctx.pool.inUseBytes;
    const a = ctx.empty([1000]);
    const b = ctx.empty([1000]);
    expect(ctx.pool.allocatedBytes - before).toBe(2 * 4096);
    const peak = ctx.pool.peakAllocatedBytes;
    a.dispose();
    a.dispose(); // twice is harmless
    const c = ctx.empty([900]); // same bucket: the released buffer comes back
    expect(c.buffer).toBe(a.buffer);
    expect(ctx.pool.allocatedBytes - before).toBe(2 * 4096);
    b.dispose();
    c.dispose();
    expect(ctx.pool.inUseBytes).toBe(inUseBefore);
    expect(ctx.pool.peakInUseBytes - inUseBefore).toBe(2 * 4096); // a and b, or b and c: never three at once
    ctx.pool.trim();
    expect(ctx.pool.allocatedBytes).toBe(before);
    expect(ctx.pool.peakAllocatedBytes).toBe(peak);
  });

  it('lends a free buffer of a slightly larger bucket rather than making one (pruned widths differ per layer)', async () => {
    const ctx = await gpuContext();
    ctx.pool.trim();
    const wide = ctx.empty([512, 700]); // 1.37 MiB: the 1.375 MiB bucket
    const wideBuffer = wide.buffer;
    wide.dispose();
    const allocated = ctx.pool.allocatedBytes;
    const narrower = ctx.empty([512, 600]); // 1.17 MiB: the 1.25 MiB bucket, at most 1.25× below 1.375
    expect(narrower.buffer).toBe(wideBuffer);
    expect(ctx.pool.allocatedBytes).toBe(allocated);
    expect(ctx.pool.inUseBytes).toBeGreaterThanOrEqual(wideBuffer.size); // counts the buffer lent, not the request
    const narrow = ctx.empty([512, 400]); // 0.78 MiB: more than 1.25× below any free buffer, so a new one
    expect(narrow.buffer).not.toBe(wideBuffer);
    expect(ctx.pool.allocatedBytes).toBeGreaterThan(allocated);
    const values = new Float32Array(512 * 600).map((_, i) => i);
    ctx.upload(narrower, values);
    expect(Array.from(await ctx.read(narrower))).toEqual(Array.from(values)); // reads its own length only
    narrower.dispose();
    narrow.dispose();
  });
});

describe('GpuContext', () => {
  it('keeps program order between uploads and recorded kernels', async () => {
    const ctx = await gpuContext();
    const t = ctx.zeros([4]);
    ctx.upload(t, new Float32Array([1, 2, 3, 4]));
    ctx.zero(t); // recorded after the upload, so it wins
    expect([...(await ctx.read(t))]).toEqual([0, 0, 0, 0]);
    ctx.upload(t, new Float32Array([5, 6, 7, 8])); // flushes the recorded clear first
    expect([...(await ctx.read(t))]).toEqual([5, 6, 7, 8]);
    t.dispose();
  });

  it('reports a broken kernel as a KernelError at the next read, and keeps working', async () => {
    const ctx = await gpuContext();
    const t = ctx.zeros([4]);
    ctx.dispatch({ key: 'broken-kernel', code: () => '@compute @workgroup_size(1) fn main() { let x: u32 = 1.5; }', buffers: [], workgroups: [1] });
    await expect(ctx.sync()).rejects.toBeInstanceOf(KernelError);
    ctx.upload(t, new Float32Array([1, 2, 3, 4]));
    expect([...(await ctx.read(t))]).toEqual([1, 2, 3, 4]);
    t.dispose();
  });

  it('requests the adapter limits, not the defaults', async () => {
    const ctx = await gpuContext();
    expect(ctx.device.limits.maxStorageBufferBindingSize).toBe(ctx.gpu.limits.maxStorageBufferBindingSize);
    expect(ctx.device.limits.maxStorageBufferBindingSize).toBeGreaterThan(128 * 1024 * 1024);
  });
});

describe('exact-size buffers for weights', () => {
  it('gives a weight a buffer of exactly its size, which only a request of that size reuses', async () => {
    const ctx = await gpuContext();
    const elements = 683 * 37; // a pruned width: its bucket would be 11% larger
    const w = ctx.fromArray(new Float32Array(elements).fill(2), [683, 37], 'weight', true);
    expect(w.buffer.size).toBe(elements * 4);
    expect(bucketSize(elements * 4)).toBeGreaterThan(elements * 4);
    expect(Array.from((await ctx.read(w)).slice(0, 3))).toEqual([2, 2, 2]);
    const buffer = w.buffer;
    w.dispose();
    const again = ctx.empty([683, 37], 'f32', 'again', true);
    expect(again.buffer).toBe(buffer);
    const bucketed = ctx.empty([683, 37]);
    expect(bucketed.buffer.size).toBe(bucketSize(elements * 4));
    for (const t of [again, bucketed]) t.dispose();
  });
});

describe('a lost device', () => {
  it('fails a read-back in flight, and every later call, with DeviceLostError', async () => {
    const ctx = new GpuContext(await acquireNodeGpu());
    const t = ctx.fromArray(Float32Array.of(1, 2, 3), [3]);
    const reading = ctx.read(t);
    ctx.device.destroy();
    await expect(reading).rejects.toMatchObject({ code: 'DEVICE_LOST', message: expect.stringMatching(/^The GPU device was lost \(destroyed/) });
    expect(() => ctx.empty([4])).toThrow(DeviceLostError);
    await expect(ctx.sync()).rejects.toBeInstanceOf(DeviceLostError);
  });
});
