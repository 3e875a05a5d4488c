/**
 * The worker's GPU context: acquired on first use, and acquired anew after the device is lost
 * (a driver reset, a sleeping laptop, `device.destroy()`), so the next request, or a training
 * that recovers from its checkpoint, gets a working device. A failed attempt is retried next time.
 */
import type { AcquiredGpu } from '../gpu/device';
import { GpuContext } from '../gpu/context';
import type { DeviceLostError } from '../errors';

export function gpuProvider(acquire: () => Promise<AcquiredGpu>, onLost: (error: DeviceLostError) => void = () => {}): () => Promise<GpuContext> {
  let context: Promise<GpuContext> | null = null;
  return () => {
    if (context) return context;
    const next = acquire().then((gpu) => {
      gpu.lost.then((error) => {
        if (context === next) context = null;
        onLost(error);
      });
      return new GpuContext(gpu);
    });
    context = next;
    next.catch(() => {
      if (context === next) context = null;
    });
    return next;
  };
}
