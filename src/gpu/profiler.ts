/**
 * Where the GPU's time goes, dispatch by dispatch, for benchmarks: while a context profiles, each
 * dispatch runs in a compute pass of its own whose start and end the GPU stamps (the
 * `timestamp-query` feature); collect() reads the stamps back and names each interval by the
 * dispatch's pipeline key. Profiling splits passes, so it measures kernels, not the unprofiled
 * step's wall time: a benchmark reports both.
 */
import { BufferUsage, MAP_MODE_READ } from './buffers';

/** GPUBufferUsage.QUERY_RESOLVE (not in BufferUsage: only the profiler resolves queries). */
const QUERY_RESOLVE = 0x200;
/** WebGPU's limit on a query set's size; two stamps per dispatch. */
const MAX_QUERIES = 4096;

export interface KernelTime {
  /** The pipeline key: the kernel's name and its compile-time constants. */
  key: string;
  /** The kernel's name (the key before its constants). */
  name: string;
  /** GPU nanoseconds from the pass's start to its end. */
  ns: number;
}

export class KernelProfiler {
  private readonly querySet: GPUQuerySet;
  private readonly resolved: GPUBuffer;
  private readonly readback: GPUBuffer;
  private keys: string[] = [];
  /** Dispatches recorded after the query set was full (not timed). */
  dropped = 0;

  constructor(private readonly device: GPUDevice) {
    if (!device.features.has('timestamp-query')) throw new Error('Profiling needs the timestamp-query feature, which this adapter does not offer.');
    this.querySet = device.createQuerySet({ type: 'timestamp', count: MAX_QUERIES });
    this.resolved = device.createBuffer({ size: MAX_QUERIES * 8, usage: QUERY_RESOLVE | BufferUsage.COPY_SRC });
    this.readback = device.createBuffer({ size: MAX_QUERIES * 8, usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST });
  }

  /** The stamps of the next dispatch's pass (undefined once the query set is full). */
  stampsFor(key: string): GPUComputePassTimestampWrites | undefined {
    const i = this.keys.length;
    if (2 * i + 1 >= MAX_QUERIES) {
      this.dropped++;
      return undefined;
    }
    this.keys.push(key);
    return { querySet: this.querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 };
  }

  /** Reads back the stamps of every dispatch since the last collect (its work must be submitted). */
  async collect(): Promise<KernelTime[]> {
    const keys = this.keys;
    this.keys = [];
    if (keys.length === 0) return [];
    const count = keys.length * 2;
    const encoder = this.device.createCommandEncoder();
    encoder.resolveQuerySet(this.querySet, 0, count, this.resolved, 0);
    encoder.copyBufferToBuffer(this.resolved, 0, this.readback, 0, count * 8);
    this.device.queue.submit([encoder.finish()]);
    await this.readback.mapAsync(MAP_MODE_READ, 0, count * 8);
    const stamps = new BigUint64Array(this.readback.getMappedRange(0, count * 8).slice(0));
    this.readback.unmap();
    return keys.map((key, i) => ({ key, name: kernelName(key), ns: Math.max(0, Number(stamps[2 * i + 1] - stamps[2 * i])) }));
  }

  dispose(): void {
    this.querySet.destroy();
    this.resolved.destroy();
    this.readback.destroy();
  }
}

/** "matmul(tile=64,…)" → "matmul". */
export function kernelName(key: string): string {
  const open = key.indexOf('(');
  return open < 0 ? key : key.slice(0, open);
}

/** One kernel's part of a profiled stretch: its GPU time, dispatches and share of the total. */
export interface KernelShare {
  name: string;
  ms: number;
  dispatches: number;
  share: number;
}

/** Per kernel name: GPU time, dispatches and share of the total, largest first. */
export function summarizeKernels(times: KernelTime[]): KernelShare[] {
  const byName = new Map<string, { ns: number; dispatches: number }>();
  for (const t of times) {
    const entry = byName.get(t.name) ?? { ns: 0, dispatches: 0 };
    entry.ns += t.ns;
    entry.dispatches++;
    byName.set(t.name, entry);
  }
  const total = [...byName.values()].reduce((n, e) => n + e.ns, 0) || 1;
  return [...byName.entries()].map(([name, e]) => ({ name, ms: e.ns / 1e6, dispatches: e.dispatches, share: e.ns / total })).sort((a, b) => b.ms - a.ms);
}
