/** WGSL math functions shared by several kernels (WGSL has no erf). */

/**
 * erf via the complementary error function's Chebyshev fit (fractional error < 1.2e-7),
 * GELU with the exact erf form (HF "gelu"), and its derivative.
 */
export const WGSL_GELU = /* wgsl */ `
fn erf_approx(x: f32) -> f32 {
  let z = abs(x);
  let t = 1.0 / (1.0 + 0.5 * z);
  let poly = -1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
             t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  let erfc = t * exp(-z * z + poly);
  return select(erfc - 1.0, 1.0 - erfc, x >= 0.0);
}
fn gelu(x: f32) -> f32 {
  return 0.5 * x * (1.0 + erf_approx(x * 0.70710678118654752));
}
fn gelu_grad(x: f32) -> f32 {
  let cdf = 0.5 * (1.0 + erf_approx(x * 0.70710678118654752));
  let pdf = exp(-0.5 * x * x) * 0.39894228040143268;
  return cdf + x * pdf;
}
`;

/** Element-wise activations a kernel can apply in its epilogue. */
export type Activation = 'none' | 'gelu' | 'tanh' | 'relu';

/** WGSL expression applying `act` to the f32 expression `v`. */
export function applyActivation(act: Activation, v: string): string {
  switch (act) {
    case 'none':
      return v;
    case 'gelu':
      return `gelu(${v})`;
    case 'tanh':
      return `tanh(${v})`;
    case 'relu':
      return `max(${v}, 0.0)`;
  }
}
