/** CPU reference for cross-entropy.ts: same arguments, plain arrays, float64 arithmetic. */

/**
 * logits [batch, classes], labels [batch]: loss[0] = mean_b(−log softmax(logits_b)[label_b]) and
 * dLogits = (softmax − onehot)/batch, both written.
 */
export function crossEntropyRef(args: {
  logits: Float32Array;
  labels: Int32Array;
  loss: Float32Array;
  dLogits: Float32Array;
  batch: number;
  classes: number;
}): void {
  const { logits, labels, dLogits, batch, classes } = args;
  let total = 0;
  for (let b = 0; b < batch; b++) {
    const base = b * classes;
    let max = -Infinity;
    for (let c = 0; c < classes; c++) max = Math.max(max, logits[base + c]);
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += Math.exp(logits[base + c] - max);
    total += Math.log(sum) - (logits[base + labels[b]] - max);
    for (let c = 0; c < classes; c++) {
      const prob = Math.exp(logits[base + c] - max) / sum;
      dLogits[base + c] = (prob - (c === labels[b] ? 1 : 0)) / batch;
    }
  }
  args.loss[0] = total / batch;
}
