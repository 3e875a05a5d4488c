/** CPU reference for mask-l1.ts (float64 sum). */

export interface MaskL1RefArgs {
  mask: Float32Array; // [n]
  grad: Float32Array; // [n] accumulated into
  loss: Float32Array; // [1] accumulated into
  lambda: number;
}

export function maskL1Ref(args: MaskL1RefArgs): void {
  const { mask, grad, loss, lambda } = args;
  let sum = 0;
  for (let i = 0; i < mask.length; i++) {
    sum += Math.abs(mask[i]);
    grad[i] += lambda * Math.sign(mask[i]); // Math.sign(-0) is -0: adds nothing, like torch's sign(0) = 0
  }
  loss[0] += lambda * sum;
}
