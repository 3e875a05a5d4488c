/**
 * Compute pipelines cached by op name + compile-time constants (workgroup size, tile shape, flags).
 * Sizes and offsets go in uniforms, so a new batch shape never recompiles.
 */
export class PipelineCache {
  private cache = new Map<string, GPUComputePipeline>();

  constructor(private readonly device: GPUDevice) {}

  get(key: string, makeCode: () => string): GPUComputePipeline {
    let pipeline = this.cache.get(key);
    if (!pipeline) {
      const module = this.device.createShaderModule({ code: makeCode(), label: key });
      pipeline = this.device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' }, label: key });
      this.cache.set(key, pipeline);
    }
    return pipeline;
  }

  get size(): number {
    return this.cache.size;
  }
}
