/** A tokenised batch: host validation, then its GPU tensors. */
import { BadInputError } from '../../errors';
import type { GpuContext } from '../../gpu/context';
import type { Tensor } from '../../gpu/buffers';
import type { ModelConfig } from './config';

export interface HostBatch {
  inputIds: number[][];
  attentionMask: number[][];
  labels?: number[];
}

export interface DeviceBatch {
  batch: number;
  seqLen: number;
  inputIds: Tensor; // i32 [B*T]
  /** The same ids on the host, for the word-table gather (host-table.ts). */
  hostInputIds: Int32Array;
  tokenMask: Tensor; // f32 [B*T], 1 real token, 0 padding
  labels: Tensor | null; // i32 [B]
  ones: Tensor; // f32 [B*T], for column sums
  dispose(): void;
}

/** Parses BATCH.json ({input_ids, attention_mask, labels}) and checks it fits the model. */
export function parseBatchJson(json: unknown, config: ModelConfig, file: string): HostBatch {
  const fail = (where: string | null, why: string) => new BadInputError(file, where, why);
  if (typeof json !== 'object' || json === null) throw fail(null, 'must be a JSON object {"input_ids", "attention_mask", "labels"}');
  const j = json as Record<string, unknown>;
  const ids = j.input_ids;
  if (!Array.isArray(ids) || ids.length === 0 || !ids.every(Array.isArray)) throw fail('input_ids', 'must be a non-empty array of int arrays');
  const seqLen = (ids[0] as unknown[]).length;
  const mask = j.attention_mask ?? ids.map((row: unknown[]) => row.map((id) => (id === config.padTokenId ? 0 : 1)));
  if (!Array.isArray(mask) || mask.length !== ids.length) throw fail('attention_mask', `must have ${ids.length} rows like input_ids`);
  ids.forEach((row: unknown[], b) => {
    if (row.length !== seqLen) throw fail(`input_ids row ${b}`, `has length ${row.length}, row 0 has ${seqLen}; pad all rows to one length`);
    row.forEach((id, t) => {
      if (!Number.isInteger(id) || (id as number) < 0 || (id as number) >= config.vocabSize) {
        throw fail(`input_ids[${b}][${t}]`, `token id ${JSON.stringify(id)} is outside the vocabulary [0, ${config.vocabSize})`);
      }
    });
    const m = mask[b];
    if (!Array.isArray(m) || m.length !== seqLen || !m.every((v) => v === 0 || v === 1)) {
      throw fail(`attention_mask row ${b}`, `must be ${seqLen} values of 0 or 1`);
    }
    if (m[0] !== 1) throw fail(`attention_mask row ${b}`, 'the first token (<s>) must be a real token (1)');
    const real = row.filter((id) => id !== config.padTokenId).length;
    if (real + config.padTokenId >= config.maxPositions) {
      throw fail(`input_ids row ${b}`, `has ${real} tokens; the model's position table allows ${config.maxPositions - config.padTokenId - 1}`);
    }
  });
  let labels: number[] | undefined;
  if (j.labels !== undefined) {
    const l = j.labels;
    if (!Array.isArray(l) || l.length !== ids.length) throw fail('labels', `must be an array of ${ids.length} ints`);
    l.forEach((v, b) => {
      if (!Number.isInteger(v) || v < 0 || v >= config.numLabels) throw fail(`labels[${b}]`, `label ${JSON.stringify(v)} is outside [0, ${config.numLabels})`);
    });
    labels = l as number[];
  }
  return { inputIds: ids as number[][], attentionMask: mask as number[][], labels };
}

export function uploadBatch(ctx: GpuContext, host: HostBatch): DeviceBatch {
  const batch = host.inputIds.length;
  const seqLen = host.inputIds[0].length;
  const n = batch * seqLen;
  const hostInputIds = Int32Array.from(host.inputIds.flat());
  const inputIds = ctx.fromArray(hostInputIds, [n], 'input_ids');
  const tokenMask = ctx.fromArray(Float32Array.from(host.attentionMask.flat()), [n], 'attention_mask');
  const labels = host.labels ? ctx.fromArray(Int32Array.from(host.labels), [batch], 'labels') : null;
  const ones = ctx.fromArray(new Float32Array(n).fill(1), [n], 'ones');
  return {
    batch,
    seqLen,
    inputIds,
    hostInputIds,
    tokenMask,
    labels,
    ones,
    dispose() {
      for (const t of [inputIds, tokenMask, labels, ones]) t?.dispose();
    },
  };
}
