/** CPU reference for adamw.ts: float64 arithmetic, state stored back as f32 like the GPU's. */
import { adamwScalars, type AdamWHyper } from '../adamw';

export interface AdamWRefArgs extends AdamWHyper {
  param: Float32Array; // [n] updated in place
  grad: Float32Array; // [n]
  m: Float32Array; // [n] updated in place
  v: Float32Array; // [n] updated in place
}

export function adamwStepRef(args: AdamWRefArgs): void {
  const { param, grad, m, v, beta1, beta2, eps } = args;
  const { decayFactor, stepSize, biasCorrection2Sqrt } = adamwScalars(args);
  for (let i = 0; i < param.length; i++) {
    const g = grad[i];
    const mi = beta1 * m[i] + (1 - beta1) * g;
    const vi = beta2 * v[i] + (1 - beta2) * g * g;
    m[i] = mi;
    v[i] = vi;
    param[i] = param[i] * decayFactor - (stepSize * mi) / (Math.sqrt(vi) / biasCorrection2Sqrt + eps);
  }
}
