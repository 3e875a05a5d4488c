import { DeviceLostError, WebGPUUnavailableError } from '../errors';

/** Optional features we use when the adapter has them (an f32 path works without any). */
const OPTIONAL_FEATURES: GPUFeatureName[] = ['shader-f16', 'subgroups', 'timestamp-query'];

/** Limits we ask for at the adapter's real maximum (the defaults are too small for roberta-base). */
const RAISED_LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBuffersPerShaderStage',
] as const;

export interface AcquiredGpu {
  device: GPUDevice;
  adapterInfo: { vendor: string; architecture: string; device: string; description: string };
  features: GPUFeatureName[];
  limits: Record<(typeof RAISED_LIMITS)[number], number>;
  /** A software (CPU) adapter. */
  isFallbackAdapter: boolean;
  /** Resolves (never rejects) when the device is lost; `lostError` is set by then. */
  lost: Promise<DeviceLostError>;
}

/**
 * Gets an adapter and a device with the adapter's real limits and optional features.
 * `gpu` is `navigator.gpu` in a browser or worker, or the object from the `webgpu` package in Node.
 */
export async function acquireGpu(gpu: GPU | undefined, powerPreference: GPUPowerPreference = 'high-performance'): Promise<AcquiredGpu> {
  if (!gpu) {
    throw new WebGPUUnavailableError(
      'WebGPU is not available here. Use a recent Chrome or Edge (113+) with hardware acceleration on; ' +
        'on Linux start Chrome with --enable-unsafe-webgpu (and --enable-features=Vulkan).',
    );
  }
  // Headed Chromium under Xvfb can return null on the first request: try once more.
  const adapter = (await gpu.requestAdapter({ powerPreference })) ?? (await gpu.requestAdapter());
  if (!adapter) {
    throw new WebGPUUnavailableError(
      'WebGPU is present but no GPU adapter was offered. Check that hardware acceleration is on ' +
        '(chrome://gpu) and that your GPU driver is not blocklisted.',
    );
  }
  const features = OPTIONAL_FEATURES.filter((f) => adapter.features.has(f));
  const limits = Object.fromEntries(RAISED_LIMITS.map((name) => [name, adapter.limits[name]])) as AcquiredGpu['limits'];
  const device = await adapter.requestDevice({ requiredFeatures: features, requiredLimits: limits });
  const info = adapter.info;
  return {
    device,
    adapterInfo: {
      vendor: info?.vendor ?? '',
      architecture: info?.architecture ?? '',
      device: info?.device ?? '',
      description: info?.description ?? '',
    },
    features,
    limits,
    isFallbackAdapter: Boolean(info?.isFallbackAdapter),
    lost: device.lost.then((l) => new DeviceLostError(l.reason, l.message)),
  };
}
