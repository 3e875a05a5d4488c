/** CPU reference for embedding.ts: same arguments, plain arrays. */

/**
 * RoBERTa position ids (HF `create_position_ids_from_input_ids`): a non-pad token at position t
 * gets padId + (number of non-pad tokens at positions ≤ t in its row); a pad token gets padId.
 * ids [batch, seqLen] → [batch, seqLen].
 */
export function robertaPositionIds(ids: Int32Array, batch: number, seqLen: number, padId: number): Int32Array {
  const positions = new Int32Array(batch * seqLen);
  for (let b = 0; b < batch; b++) {
    let nonPad = 0;
    for (let t = 0; t < seqLen; t++) {
      const k = b * seqLen + t;
      if (ids[k] !== padId) nonPad++;
      positions[k] = ids[k] !== padId ? padId + nonPad : padId;
    }
  }
  return positions;
}

/** out [batch*seqLen, hidden] = wordEmb[id] + posEmb[positionId] + typeEmb[0] */
export function embeddingForwardRef(args: {
  inputIds: Int32Array;
  wordEmb: Float32Array;
  posEmb: Float32Array;
  typeEmb: Float32Array;
  out: Float32Array;
  batch: number;
  seqLen: number;
  hidden: number;
  padId: number;
}): void {
  const { inputIds, wordEmb, posEmb, typeEmb, out, batch, seqLen, hidden, padId } = args;
  const positions = robertaPositionIds(inputIds, batch, seqLen, padId);
  for (let k = 0; k < batch * seqLen; k++) {
    for (let h = 0; h < hidden; h++) {
      out[k * hidden + h] = wordEmb[inputIds[k] * hidden + h] + posEmb[positions[k] * hidden + h] + typeEmb[h];
    }
  }
}
