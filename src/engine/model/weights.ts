/** Named host-side tensors (from safetensors files) and their upload to the GPU with shape checks. */
import { BadInputError } from '../gpu/errors';
import type { GpuContext } from '../gpu/context';
import type { Tensor } from '../gpu/buffers';
import { parseSafetensors, readTensorF32, type SafetensorsFile } from '../io/safetensors';

export interface HostTensor {
  data: Float32Array;
  shape: number[];
}

/** Looks tensors up by name across one or more safetensors files. */
export class WeightSource {
  private files: SafetensorsFile[] = [];

  static fromBytes(entries: Array<{ bytes: Uint8Array; file: string }>): WeightSource {
    const source = new WeightSource();
    for (const { bytes, file } of entries) source.files.push(parseSafetensors(bytes, file));
    return source;
  }

  has(name: string): boolean {
    return this.files.some((f) => f.tensors.has(name));
  }

  names(): string[] {
    return this.files.flatMap((f) => [...f.tensors.keys()]);
  }

  get fileNames(): string {
    return this.files.map((f) => f.file).join(', ') || '(no weight files)';
  }

  /** Reads a tensor and checks its shape; the error names the file, the tensor and both shapes. */
  read(name: string, shape: readonly number[]): HostTensor {
    const file = this.files.find((f) => f.tensors.has(name));
    if (!file) throw new BadInputError(this.fileNames, `tensor ${name}`, 'is missing; the checkpoint does not match the model config');
    const t = readTensorF32(file, name);
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new BadInputError(file.file, `tensor ${name}`, `has shape [${t.shape.join(',')}] but config.json implies [${shape.join(',')}]`);
    }
    return t;
  }

  upload(ctx: GpuContext, name: string, shape: readonly number[]): Tensor {
    return ctx.fromArray(this.read(name, shape).data, shape, name);
  }
}
