/** CPU reference for matmul.ts: same arguments, plain arrays, float64 accumulation. */
import { gelu } from './math';
import type { Activation } from '../wgsl-math';

export interface MatmulRefArgs {
  a: Float32Array;
  b: Float32Array;
  /** Read when beta ≠ 0, written always. */
  out: Float32Array;
  M: number;
  N: number;
  K: number;
  transA?: boolean;
  transB?: boolean;
  batch?: number;
  strideA?: number;
  strideB?: number;
  strideC?: number;
  bias?: Float32Array;
  alpha?: number;
  beta?: number;
  activation?: Activation;
}

const ACTIVATIONS: Record<Activation, (x: number) => number> = {
  none: (x) => x,
  gelu,
  tanh: Math.tanh,
  relu: (x) => Math.max(x, 0),
};

export function matmulRef(args: MatmulRefArgs): void {
  const { a, b, out, M, N, K, transA = false, transB = false, batch = 1, alpha = 1, beta = 0, activation = 'none' } = args;
  const sA = args.strideA ?? M * K;
  const sB = args.strideB ?? K * N;
  const sC = args.strideC ?? M * N;
  const act = ACTIVATIONS[activation];
  for (let z = 0; z < batch; z++) {
    for (let m = 0; m < M; m++) {
      for (let n = 0; n < N; n++) {
        let sum = 0;
        for (let k = 0; k < K; k++) {
          const av = transA ? a[z * sA + k * M + m] : a[z * sA + m * K + k];
          const bv = transB ? b[z * sB + n * K + k] : b[z * sB + k * N + n];
          sum += av * bv;
        }
        const idx = z * sC + m * N + n;
        let v = alpha * sum + (args.bias ? args.bias[n] : 0);
        v = act(v);
        out[idx] = beta !== 0 ? v + beta * out[idx] : v;
      }
    }
  }
}
