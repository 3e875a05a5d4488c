import { tmpdir } from 'node:os';
import { create, globals } from 'webgpu';
import { acquireGpu, type AcquiredGpu } from '../../gpu/device';

/** SwiftShader's Vulkan driver ships with Debian's chromium; Dawn in Node finds it through this. */
const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

// The object from create() must outlive every device made from it, or the process crashes
// when it is garbage-collected; keep it for the life of the process.
let nodeGpu: GPU | null = null;

/** A WebGPU device in Node through the `webgpu` package (Dawn). */
export async function acquireNodeGpu(): Promise<AcquiredGpu> {
  if (!nodeGpu) {
    process.env.VK_ICD_FILENAMES ??= SWIFTSHADER_ICD;
    // Dawn's Vulkan backend complains on stderr when this is unset (as it is for root and in CI).
    process.env.XDG_RUNTIME_DIR ??= tmpdir();
    Object.assign(globalThis, globals);
    nodeGpu = create([]) as unknown as GPU;
  }
  return acquireGpu(nodeGpu);
}
