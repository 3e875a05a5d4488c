/**
 * Size-bucketed GPU buffer pool. Freed buffers go back to a free list of their bucket and are
 * reused; `allocatedBytes` counts every GPU buffer that exists (in use or pooled), which is the
 * memory figure benchmarks report.
 */
import { OutOfMemoryError } from '../errors';

export type DType = 'f32' | 'i32' | 'u32';

/**
 * WebGPU's numeric flag values, so modules can load before the `webgpu` package installs the
 * GPUBufferUsage globals in Node.
 */
export const BufferUsage = { MAP_READ: 0x1, COPY_SRC: 0x4, COPY_DST: 0x8, UNIFORM: 0x40, STORAGE: 0x80 } as const;
export const MAP_MODE_READ = 0x1;

const USAGE = BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST;
const MIN_BUCKET = 256;
/** A request may take a free buffer up to this factor larger than its bucket (see takeFree). */
const REUSE_LARGER = 1.25;

/** Above this, buckets step by 1/8 of the size's power of two instead of doubling. */
const FINE_BUCKETS_FROM = 1 << 16;

/**
 * Round up to the next bucket: powers of two up to 64 KiB, then steps of 1/8 of the power of two
 * below (at most 12.5% over). Pruned models have odd widths (683 of 1024 FFN dimensions): with
 * power-of-two buckets up to 1 MiB their weights took up to twice their size.
 */
export function bucketSize(bytes: number): number {
  const size = Math.max(MIN_BUCKET, bytes);
  const pow = 2 ** Math.ceil(Math.log2(size));
  if (pow <= FINE_BUCKETS_FROM) return pow;
  const step = pow / 16;
  return Math.ceil(size / step) * step;
}

export class BufferPool {
  private free = new Map<number, GPUBuffer[]>();
  private inUse = new Set<GPUBuffer>();
  allocatedBytes = 0;
  peakAllocatedBytes = 0;
  inUseBytes = 0;
  /** The most bytes in use at once since `resetPeak` (peakAllocatedBytes minus this is pool slack). */
  peakInUseBytes = 0;
  /**
   * At most this many bytes of GPU buffers (null: no limit but the device's). A new buffer past it
   * first frees the pooled ones, then throws OutOfMemoryError, as a full GPU would: tests use it to
   * run out of memory on purpose.
   */
  budgetBytes: number | null = null;

  constructor(private readonly device: GPUDevice) {}

  /**
   * A buffer of at least `bytes`: a bucket's size, reused from the free lists where it can be; or,
   * `exact`, of exactly `bytes` (rounded up to 4) for a tensor that lives as long as the model (a
   * weight): a bucket would waste up to an eighth of it for good, and a pruned model's odd widths
   * are what makes those buckets.
   */
  acquire(bytes: number, label?: string, exact = false): GPUBuffer {
    const size = exact ? Math.max(4, Math.ceil(bytes / 4) * 4) : bucketSize(bytes);
    const buffer = (exact ? this.free.get(size)?.pop() : this.takeFree(size)) ?? this.create(size, label);
    this.inUse.add(buffer);
    this.inUseBytes += buffer.size;
    this.peakInUseBytes = Math.max(this.peakInUseBytes, this.inUseBytes);
    return buffer;
  }

  release(buffer: GPUBuffer): void {
    if (!this.inUse.delete(buffer)) return; // already released
    this.inUseBytes -= buffer.size;
    let list = this.free.get(buffer.size);
    if (!list) this.free.set(buffer.size, (list = []));
    list.push(buffer);
  }

  /**
   * A free buffer of this bucket, or else of the smallest bucket at most REUSE_LARGER above it: a
   * pruned model's layers have different widths, and without this each width kept its own buffers.
   */
  private takeFree(size: number): GPUBuffer | undefined {
    const exact = this.free.get(size)?.pop();
    if (exact) return exact;
    let best: number | undefined;
    for (const [bucket, list] of this.free) {
      if (list.length && bucket > size && bucket <= size * REUSE_LARGER && (best === undefined || bucket < best)) best = bucket;
    }
    return best === undefined ? undefined : this.free.get(best)!.pop();
  }

  /** Destroys pooled buffers that nobody uses, returning their memory to the driver. */
  trim(): void {
    for (const list of this.free.values()) {
      for (const buffer of list) {
        this.allocatedBytes -= buffer.size;
        buffer.destroy();
      }
    }
    this.free.clear();
  }

  /** Destroys everything, in use or not. */
  destroyAll(): void {
    this.trim();
    for (const buffer of this.inUse) buffer.destroy();
    this.inUse.clear();
    this.allocatedBytes = 0;
    this.inUseBytes = 0;
  }

  resetPeak(): void {
    this.peakAllocatedBytes = this.allocatedBytes;
    this.peakInUseBytes = this.inUseBytes;
  }

  private create(size: number, label?: string): GPUBuffer {
    if (this.budgetBytes !== null && this.allocatedBytes + size > this.budgetBytes) {
      this.trim();
      if (this.allocatedBytes + size > this.budgetBytes) throw new OutOfMemoryError(label ?? 'a tensor', size, this.allocatedBytes);
    }
    const buffer = this.device.createBuffer({ size, usage: USAGE, label });
    this.allocatedBytes += size;
    this.peakAllocatedBytes = Math.max(this.peakAllocatedBytes, this.allocatedBytes);
    return buffer;
  }
}

/** A dense row-major array on the GPU. Owns one pooled buffer until `dispose()`. */
export class Tensor {
  readonly size: number;
  private disposed = false;

  constructor(
    readonly buffer: GPUBuffer,
    readonly shape: readonly number[],
    readonly dtype: DType,
    private readonly pool: BufferPool,
  ) {
    this.size = shape.reduce((a, b) => a * b, 1);
  }

  get byteLength(): number {
    return this.size * 4;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.pool.release(this.buffer);
  }

  get isDisposed(): boolean {
    return this.disposed;
  }
}
