import type { AcquiredGpu } from './device';
import { BufferPool, BufferUsage, MAP_MODE_READ, Tensor, type DType } from './buffers';
import { DeviceLostError, EngineError, KernelError, OutOfMemoryError } from '../errors';
import { PipelineCache } from './pipelines';
import type { KernelProfiler } from './profiler';

/** One compute dispatch. Binding 0 is the uniform struct (if any); buffers follow from binding 1. */
export interface DispatchSpec {
  /** Cache key: op name plus every compile-time constant that changes the code. */
  key: string;
  code: () => string;
  uniforms?: ArrayBuffer;
  buffers: (Tensor | GPUBuffer)[];
  workgroups: readonly [number, number?, number?];
}

const UNIFORM_CHUNK = 64 * 1024;
/** How long a failed read-back waits for the device's lost promise before it reports the failure as it is. */
const LOST_SETTLE_MS = 1000;

/**
 * The engine's handle on a device: allocates tensors from a pool, records dispatches into one
 * command encoder and submits them in batches. Reads are the only synchronisation points.
 * Commands execute in program order: uploads flush what is already recorded first.
 */
export class GpuContext {
  readonly device: GPUDevice;
  readonly pool: BufferPool;
  readonly pipelines: PipelineCache;
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private uniformAlign: number;
  private uniformChunks: GPUBuffer[] = [];
  private freeUniformChunks: GPUBuffer[] = [];
  private uniformMirror = new Uint8Array(UNIFORM_CHUNK);
  private uniformOffset = UNIFORM_CHUNK; // forces a fresh chunk on first use
  private pendingErrors: Promise<EngineError | null>[] = [];
  private uncaptured: EngineError | null = null;
  private lostError: DeviceLostError | null = null;
  dispatchCount = 0;
  /** Set by a benchmark to time each dispatch on the GPU (null: no profiling, one pass for many dispatches). */
  profiler: KernelProfiler | null = null;
  private allocationLogs: Tensor[][] = [];

  constructor(readonly gpu: AcquiredGpu) {
    this.device = gpu.device;
    this.pool = new BufferPool(this.device);
    this.pipelines = new PipelineCache(this.device);
    this.uniformAlign = this.device.limits.minUniformBufferOffsetAlignment;
    gpu.lost.then((e) => (this.lostError = e));
    this.device.addEventListener('uncapturederror', (event) => {
      const error = (event as GPUUncapturedErrorEvent).error;
      this.uncaptured ??= new KernelError(`Uncaptured GPU error: ${error.message}`);
    });
  }

  /**
   * True on CPU-emulated WebGPU (SwiftShader), where kernels that stage data in workgroup memory
   * are slower than ones that keep blocks in registers and lean on the CPU's caches.
   */
  get prefersRegisterBlocking(): boolean {
    const { architecture, device, description } = this.gpu.adapterInfo;
    return /swiftshader/i.test(`${architecture} ${device} ${description}`) || this.gpu.isFallbackAdapter;
  }

  get hasSubgroups(): boolean {
    return this.gpu.features.includes('subgroups');
  }

  /**
   * A new uninitialised tensor (pooled memory: contents are whatever was there). `exact`: a buffer
   * of exactly its size, for tensors that live as long as the model (BufferPool.acquire).
   */
  empty(shape: readonly number[], dtype: DType = 'f32', label?: string, exact = false): Tensor {
    this.throwIfLost();
    const elements = shape.reduce((a, b) => a * b, 1);
    const bytes = elements * 4;
    const what = label ?? `a [${shape.join(',')}] tensor`;
    this.device.pushErrorScope('out-of-memory');
    let buffer: GPUBuffer;
    try {
      buffer = this.pool.acquire(bytes, what, exact);
    } catch (e) {
      void this.device.popErrorScope(); // the pool's own budget refused it: no buffer was made
      throw e;
    }
    this.pendingErrors.push(
      this.device.popErrorScope().then((e) => (e ? new OutOfMemoryError(what, bytes, this.pool.allocatedBytes) : null)),
    );
    const tensor = new Tensor(buffer, shape, dtype, this.pool);
    for (const log of this.allocationLogs) log.push(tensor);
    return tensor;
  }

  /**
   * Runs `build`; if it throws, every tensor it allocated is disposed before the error goes on,
   * so a failed load leaves nothing half-built on the GPU.
   */
  async allOrNothing<T>(build: () => Promise<T>): Promise<T> {
    const log: Tensor[] = [];
    this.allocationLogs.push(log);
    try {
      return await build();
    } catch (e) {
      for (const t of log) t.dispose();
      throw e;
    } finally {
      this.allocationLogs.splice(this.allocationLogs.indexOf(log), 1);
    }
  }

  /**
   * allOrNothing for work that records dispatches without waiting (a training step's forward and
   * backward). What is recorded before it starts is submitted first; if it throws, what it recorded
   * is dropped unsubmitted (its commands would read the tensors freed here).
   */
  allOrNothingSync<T>(build: () => T): T {
    this.flush();
    const log: Tensor[] = [];
    this.allocationLogs.push(log);
    try {
      return build();
    } catch (e) {
      this.dropRecorded();
      for (const t of log) t.dispose();
      throw e;
    } finally {
      this.allocationLogs.splice(this.allocationLogs.indexOf(log), 1);
    }
  }

  zeros(shape: readonly number[], dtype: DType = 'f32', label?: string): Tensor {
    const t = this.empty(shape, dtype, label);
    this.zero(t);
    return t;
  }

  /** A tensor holding `data`; `exact` as in `empty` (a model's weights). */
  fromArray(data: Float32Array | Int32Array | Uint32Array, shape: readonly number[], label?: string, exact = false): Tensor {
    const expected = shape.reduce((a, b) => a * b, 1);
    if (data.length !== expected) throw new Error(`fromArray: ${data.length} values for shape [${shape.join(',')}]`);
    const dtype: DType = data instanceof Float32Array ? 'f32' : data instanceof Int32Array ? 'i32' : 'u32';
    const t = this.empty(shape, dtype, label, exact);
    this.upload(t, data);
    return t;
  }

  upload(t: Tensor, data: Float32Array | Int32Array | Uint32Array): void {
    if (data.length !== t.size) throw new Error(`upload: ${data.length} values into a tensor of ${t.size}`);
    if (this.encoder) this.flush(); // keep program order with what is already recorded
    this.device.queue.writeBuffer(t.buffer, 0, data.buffer, data.byteOffset, data.byteLength);
  }

  zero(t: Tensor): void {
    this.endPass();
    this.getEncoder().clearBuffer(t.buffer, 0, t.byteLength);
  }

  copy(src: Tensor, dst: Tensor, elements = src.size, srcOffset = 0, dstOffset = 0): void {
    this.endPass();
    this.getEncoder().copyBufferToBuffer(src.buffer, srcOffset * 4, dst.buffer, dstOffset * 4, elements * 4);
  }

  dispatch(spec: DispatchSpec): void {
    this.throwIfLost();
    const pipeline = this.pipelines.get(spec.key, spec.code);
    const entries: GPUBindGroupEntry[] = [];
    if (spec.uniforms) entries.push({ binding: 0, resource: this.uniformSlot(spec.uniforms) });
    spec.buffers.forEach((b, i) => {
      const buffer = b instanceof Tensor ? b.buffer : b;
      const size = b instanceof Tensor ? Math.max(4, b.byteLength) : b.size;
      entries.push({ binding: i + 1, resource: { buffer, size } });
    });
    const bindGroup = this.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
    // Profiling: a pass of its own per dispatch, stamped at its start and end.
    const stamps = this.profiler?.stampsFor(spec.key);
    if (stamps) this.endPass();
    const pass = stamps ? (this.pass = this.getEncoder().beginComputePass({ timestampWrites: stamps })) : this.getPass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    const [x, y = 1, z = 1] = spec.workgroups;
    pass.dispatchWorkgroups(x, y, z);
    this.dispatchCount++;
    if (stamps) this.endPass();
  }

  /** Forgets what was recorded since the last flush, unsubmitted. */
  private dropRecorded(): void {
    if (!this.encoder) return;
    this.endPass();
    this.encoder = null;
    void this.device.popErrorScope(); // getEncoder's validation scope
    this.freeUniformChunks.push(...this.uniformChunks);
    this.uniformChunks = [];
    this.uniformOffset = UNIFORM_CHUNK;
  }

  /** Submits everything recorded so far. */
  flush(): void {
    if (!this.encoder) return;
    this.endPass();
    const chunk = this.uniformChunks[this.uniformChunks.length - 1];
    if (chunk && this.uniformOffset > 0) this.device.queue.writeBuffer(chunk, 0, this.uniformMirror, 0, this.uniformOffset);
    this.device.queue.submit([this.encoder.finish()]);
    this.encoder = null;
    const validation = this.device.popErrorScope();
    this.pendingErrors.push(validation.then((e) => (e ? new KernelError(`GPU validation error: ${e.message}`) : null)));
    const chunks = this.uniformChunks;
    this.uniformChunks = [];
    this.uniformOffset = UNIFORM_CHUNK;
    this.device.queue.onSubmittedWorkDone().then(() => this.freeUniformChunks.push(...chunks));
  }

  /** Waits for all submitted work and throws the first GPU error it produced. */
  async sync(): Promise<void> {
    this.flush();
    await this.device.queue.onSubmittedWorkDone().catch((e: unknown) => this.lostOr(e));
    await this.throwPendingErrors();
  }

  async read(t: Tensor): Promise<Float32Array> {
    const bytes = await this.readBytes(t);
    return new Float32Array(bytes);
  }

  async readInts(t: Tensor): Promise<Int32Array> {
    return new Int32Array(await this.readBytes(t));
  }

  /** Reads several tensors with one submission and one wait. */
  async readMany(tensors: Tensor[]): Promise<Float32Array[]> {
    return Promise.all(tensors.map((t) => this.read(t)));
  }

  get liveBytes(): number {
    return this.pool.allocatedBytes;
  }

  destroy(): void {
    this.pool.destroyAll();
    for (const c of [...this.uniformChunks, ...this.freeUniformChunks]) c.destroy();
    this.gpu.device.destroy();
  }

  private async readBytes(t: Tensor): Promise<ArrayBuffer> {
    const staging = this.device.createBuffer({ size: Math.max(4, t.byteLength), usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST });
    this.endPass();
    this.getEncoder().copyBufferToBuffer(t.buffer, 0, staging, 0, t.byteLength);
    this.flush();
    try {
      await staging.mapAsync(MAP_MODE_READ).catch((e: unknown) => this.lostOr(e));
      await this.throwPendingErrors();
      return staging.getMappedRange(0, t.byteLength).slice(0);
    } finally {
      staging.destroy();
    }
  }

  private async throwPendingErrors(): Promise<void> {
    const errors = this.pendingErrors;
    this.pendingErrors = [];
    const first = (await Promise.all(errors)).find((e) => e !== null);
    this.throwIfLost();
    if (first) throw first;
    if (this.uncaptured) {
      const e = this.uncaptured;
      this.uncaptured = null;
      throw e;
    }
  }

  /**
   * Throws the DeviceLostError when `error` came from a lost device (a read-back rejected before
   * the device's lost promise had settled), else `error` itself.
   */
  private async lostOr(error: unknown): Promise<never> {
    const settled = await Promise.race([this.gpu.lost, new Promise<null>((resolve) => setTimeout(() => resolve(null), LOST_SETTLE_MS))]);
    throw settled ?? error;
  }

  private throwIfLost(): void {
    if (this.lostError) throw this.lostError;
  }

  private getEncoder(): GPUCommandEncoder {
    if (!this.encoder) {
      this.device.pushErrorScope('validation');
      this.encoder = this.device.createCommandEncoder();
    }
    return this.encoder;
  }

  private getPass(): GPUComputePassEncoder {
    if (!this.pass) this.pass = this.getEncoder().beginComputePass();
    return this.pass;
  }

  private endPass(): void {
    this.pass?.end();
    this.pass = null;
  }

  /** Carves an aligned slot out of the current uniform chunk (a fresh chunk when it is full). */
  private uniformSlot(data: ArrayBuffer): GPUBufferBinding {
    if (this.uniformOffset + data.byteLength > UNIFORM_CHUNK) {
      const full = this.uniformChunks[this.uniformChunks.length - 1];
      if (full) this.device.queue.writeBuffer(full, 0, this.uniformMirror, 0, this.uniformOffset);
      // A chunk's bytes are written when it fills up or at flush, always before the submit that uses them.
      const chunk =
        this.freeUniformChunks.pop() ??
        this.device.createBuffer({ size: UNIFORM_CHUNK, usage: BufferUsage.UNIFORM | BufferUsage.COPY_DST });
      this.uniformChunks.push(chunk);
      this.uniformOffset = 0;
    }
    const offset = this.uniformOffset;
    this.uniformMirror.set(new Uint8Array(data), offset);
    this.uniformOffset = Math.ceil((offset + data.byteLength) / this.uniformAlign) * this.uniformAlign;
    return { buffer: this.uniformChunks[this.uniformChunks.length - 1], offset, size: data.byteLength };
  }
}
