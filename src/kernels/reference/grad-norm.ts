/** CPU reference for grad-norm.ts: torch.nn.utils.clip_grad_norm_'s coefficient and the step guard, in float64. */
import { CLIP_EPSILON, GUARD } from '../grad-norm';

/** The global L2 norm over every gradient and the factor that scales them to at most maxNorm. */
export function clipCoefficientRef(grads: Float32Array[], maxNorm: number): { coefficient: number; norm: number } {
  let total = 0;
  for (const g of grads) for (const x of g) total += x * x;
  const norm = Math.sqrt(total);
  return { coefficient: Math.min(1, maxNorm / (norm + CLIP_EPSILON)), norm };
}

/** stepGuard on the CPU: the guard after a step with these gradients and loss, from the guard before it. */
export function stepGuardRef(grads: Float32Array[], loss: number, maxNorm: number, step: number, before: ArrayLike<number>): number[] {
  const { coefficient, norm } = clipCoefficientRef(grads, maxNorm > 0 ? maxNorm : Infinity);
  const guard = Array.from(before);
  const finite = Number.isFinite(norm) && Number.isFinite(loss);
  if (!finite && guard[GUARD.firstBadStep] === 0) {
    guard[GUARD.firstBadStep] = step;
    guard[GUARD.badLoss] = loss;
    guard[GUARD.badNorm] = norm;
  }
  const skip = guard[GUARD.firstBadStep] !== 0;
  guard[GUARD.scale] = skip ? 0 : maxNorm > 0 ? coefficient : 1;
  guard[GUARD.norm] = norm;
  guard[GUARD.skip] = skip ? 1 : 0;
  return guard;
}
