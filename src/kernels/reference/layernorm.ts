/** CPU reference for layernorm.ts: same arguments, plain arrays, float64 arithmetic. */

/** Float64 arrays are accepted too, so the finite-difference check runs the oracle at full precision. */
type Floats = Float32Array | Float64Array;

/** x, out [rows, cols]; gamma, beta [cols]; mean, rstd [rows]. Biased variance, eps inside the sqrt. */
export function layerNormForwardRef(args: {
  x: Floats;
  gamma: Floats;
  beta: Floats;
  out: Floats;
  mean: Floats;
  rstd: Floats;
  rows: number;
  cols: number;
  eps: number;
}): void {
  const { x, gamma, beta, out, rows, cols, eps } = args;
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let sum = 0;
    for (let c = 0; c < cols; c++) sum += x[base + c];
    const mean = sum / cols;
    let squares = 0;
    for (let c = 0; c < cols; c++) squares += (x[base + c] - mean) ** 2;
    const rstd = 1 / Math.sqrt(squares / cols + eps);
    for (let c = 0; c < cols; c++) out[base + c] = (x[base + c] - mean) * rstd * gamma[c] + beta[c];
    args.mean[r] = mean;
    args.rstd[r] = rstd;
  }
}

/**
 * With x̂ = (x − mean)·rstd and g = dy·gamma: dx = rstd·(g − mean_c(g) − x̂·mean_c(g·x̂)) (overwritten);
 * dGamma += Σ_r dy·x̂, dBeta += Σ_r dy (accumulated, when given).
 */
export function layerNormBackwardRef(args: {
  dy: Floats;
  x: Floats;
  gamma: Floats;
  mean: Floats;
  rstd: Floats;
  dx: Floats;
  rows: number;
  cols: number;
  dGamma?: Floats;
  dBeta?: Floats;
}): void {
  const { dy, x, gamma, dx, rows, cols, dGamma, dBeta } = args;
  const xhat = new Float64Array(cols);
  const g = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    const mean = args.mean[r];
    const rstd = args.rstd[r];
    let sumG = 0;
    let sumGX = 0;
    for (let c = 0; c < cols; c++) {
      xhat[c] = (x[base + c] - mean) * rstd;
      g[c] = dy[base + c] * gamma[c];
      sumG += g[c];
      sumGX += g[c] * xhat[c];
    }
    for (let c = 0; c < cols; c++) {
      dx[base + c] = rstd * (g[c] - sumG / cols - (xhat[c] * sumGX) / cols);
      if (dGamma) dGamma[c] += dy[base + c] * xhat[c];
      if (dBeta) dBeta[c] += dy[base + c];
    }
  }
}
