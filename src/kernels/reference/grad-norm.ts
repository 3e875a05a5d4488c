/** CPU reference for grad-norm.ts: torch.nn.utils.clip_grad_norm_'s coefficient, in float64. */
import { CLIP_EPSILON } from '../grad-norm';

/** The global L2 norm over every gradient and the factor that scales them to at most maxNorm. */
export function clipCoefficientRef(grads: Float32Array[], maxNorm: number): { coefficient: number; norm: number } {
  let total = 0;
  for (const g of grads) for (const x of g) total += x * x;
  const norm = Math.sqrt(total);
  return { coefficient: Math.min(1, maxNorm / (norm + CLIP_EPSILON)), norm };
}
