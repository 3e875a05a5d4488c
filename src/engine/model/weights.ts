/** Named host-side tensors (from safetensors files) and their upload to the GPU with shape checks. */
import { BadInputError } from '../../errors';
import type { GpuContext } from '../../gpu/context';
import type { Tensor } from '../../gpu/buffers';
import { openSafetensors, parseSafetensors, readTensor, type SafetensorsFile } from '../io/safetensors';
import type { ByteSource } from '../io/byte-source';
import { BASE_MODEL_PREFIX } from './names';
import { hostTable, type HostTable } from './host-table';

export interface HostTensor {
  data: Float32Array;
  shape: number[];
}

/** Looks tensors up by name across one or more safetensors files (shards), reading them on demand. */
export class WeightSource {
  private constructor(private readonly files: SafetensorsFile[]) {}

  static async open(sources: ByteSource[]): Promise<WeightSource> {
    return new WeightSource(await Promise.all(sources.map(openSafetensors)));
  }

  /** Small in-memory files (masks, tests). */
  static fromBytes(entries: Array<{ bytes: Uint8Array; file: string }>): WeightSource {
    return new WeightSource(entries.map(({ bytes, file }) => parseSafetensors(bytes, file)));
  }

  has(name: string): boolean {
    return this.files.some((f) => f.tensors.has(name));
  }

  /** A `__metadata__` value from the first file that has it. */
  metadata(key: string): string | undefined {
    return this.files.find((f) => key in f.metadata)?.metadata[key];
  }

  shapeOf(name: string): number[] | undefined {
    return this.files.find((f) => f.tensors.has(name))?.tensors.get(name)?.shape;
  }

  names(): string[] {
    return this.files.flatMap((f) => [...f.tensors.keys()]);
  }

  get fileNames(): string {
    return this.files.map((f) => f.file).join(', ') || '(no weight files)';
  }

  /**
   * Reads a tensor after checking its shape in the header; the error names the file, the tensor
   * and both shapes. A base-model name (`roberta.…`) also finds the tensor under the names a
   * checkpoint saved from a bare RobertaModel (no `roberta.` prefix) or an old TF conversion
   * (LayerNorm `gamma`/`beta`) uses.
   */
  async read(name: string, shape: readonly number[]): Promise<HostTensor> {
    const { file, stored } = this.locate(name, shape);
    return readTensor(file, stored);
  }

  /** Checks that every tensor is present with its shape, from the headers alone (nothing is read). */
  checkAll(shapes: ReadonlyMap<string, readonly number[]>): void {
    for (const [name, shape] of shapes) this.locate(name, shape);
  }

  private locate(name: string, shape: readonly number[]): { file: SafetensorsFile; stored: string } {
    const stored = storedNames(name).find((n) => this.has(n));
    if (stored === undefined) throw new BadInputError(this.fileNames, `tensor ${name}`, 'is missing; the checkpoint does not match config.json (is it a RoBERTa checkpoint, and the config.json that came with it?)');
    const file = this.files.find((f) => f.tensors.has(stored))!;
    const storedShape = file.tensors.get(stored)!.shape;
    if (storedShape.length !== shape.length || storedShape.some((d, i) => d !== shape[i])) {
      throw new BadInputError(file.file, `tensor ${stored}`, `has shape [${storedShape.join(',')}] but config.json implies [${shape.join(',')}]; use the config.json that came with these weights`);
    }
    return { file, stored };
  }

  /** A [rows, cols] tensor kept in host memory (the word embeddings: host-table.ts). */
  async hostTable(name: string, shape: readonly [number, number]): Promise<HostTable> {
    return hostTable((await this.read(name, shape)).data, shape[0], shape[1]);
  }

  async upload(ctx: GpuContext, name: string, shape: readonly number[]): Promise<Tensor> {
    return ctx.fromArray((await this.read(name, shape)).data, shape, name, true);
  }
}

/** The names a checkpoint may store a tensor under, preferred first. */
function storedNames(name: string): string[] {
  if (!name.startsWith(BASE_MODEL_PREFIX)) return [name];
  const names = [name, name.slice(BASE_MODEL_PREFIX.length)];
  const legacy = (n: string) => n.replace(/LayerNorm\.weight$/, 'LayerNorm.gamma').replace(/LayerNorm\.bias$/, 'LayerNorm.beta');
  return [...names, ...names.map(legacy).filter((n) => !names.includes(n))];
}
