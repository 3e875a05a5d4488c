/**
 * RoBERTa input embeddings, in place: out[token] += posEmb[positionId] + typeEmb[0], where `out`
 * arrives holding each token's row of the word table (token type ids are all zero for RoBERTa).
 * The word table never comes to the GPU: it is the largest frozen tensor (50265 × 768 floats,
 * 147 MiB in roberta-base) and a batch reads a few thousand of its rows, so the host gathers them
 * (engine/model/host-table.ts) and uploads those. Forward only: the embedding tables are frozen in
 * this app (LoRA/Adapters never touch them), so no gradient flows into them.
 *
 * Position ids follow HF `create_position_ids_from_input_ids`: padId + (non-pad tokens at
 * positions ≤ t in the row) for a non-pad token, padId for a pad. Two strategies, chosen by the
 * device:
 * - `workgroup` (GPUs): one 256-thread workgroup per token counts its row prefix cooperatively
 *   (rows are ≤ 512 tokens, so ≤ 2 ids per thread), then writes the row.
 * - `serial` (CPU-emulated WebGPU such as SwiftShader, where barriers are slow): one invocation
 *   per token counts its prefix and writes its row, with no barriers.
 */
import type { GpuContext } from '../gpu/context';
import type { Tensor } from '../gpu/buffers';
import { flatIndexMain, grid1d, reductionStrategy, type ReductionStrategy } from './wgsl';
import { defineKernel, readOnly, readWrite } from './kernel';

const THREADS = 256;
const SERIAL_THREADS = 64;

const PARAMS = { tokens: 'u32', seqLen: 'u32', hidden: 'u32', padId: 'i32' } as const;

export interface EmbeddingForwardArgs {
  /** i32 [batch*seqLen] */
  inputIds: Tensor;
  posEmb: Tensor; // [maxPositions, hidden]
  typeEmb: Tensor; // [typeVocab, hidden]; row 0 is used
  /** [batch*seqLen, hidden]: each token's word-table row on entry, its embedding on return. */
  out: Tensor;
  batch: number;
  seqLen: number;
  hidden: number;
  padId: number;
  /** Overrides the device's choice (tests exercise both on every machine). */
  strategy?: ReductionStrategy;
}

const LAYOUT = () => ({
  uniforms: PARAMS,
  storage: [
    readOnly('ids', 'i32', '[tokens]'),
    readOnly('posEmb', 'f32', '[maxPositions, hidden]'),
    readOnly('typeEmb', 'f32', '[typeVocab, hidden]'),
    readWrite('out', 'f32', '[tokens, hidden]'),
  ],
});

const EMBEDDING = defineKernel({
  name: 'embeddingForward',
  layout: LAYOUT,
  body: ({ threads }: { threads: number }) => embeddingForwardWgsl(threads),
});

const EMBEDDING_SERIAL = defineKernel({
  name: 'embeddingForward.serial',
  layout: LAYOUT,
  body: ({ threads }: { threads: number }) => embeddingForwardSerialWgsl(threads),
});

export function embeddingForward(ctx: GpuContext, args: EmbeddingForwardArgs): void {
  const { batch, seqLen, hidden, padId } = args;
  if (args.inputIds.dtype !== 'i32') throw new Error(`embeddingForward: inputIds must be i32, got ${args.inputIds.dtype}`);
  const tokens = batch * seqLen;
  if (tokens === 0) return;
  const run = {
    uniforms: { tokens, seqLen, hidden, padId },
    buffers: { ids: args.inputIds, posEmb: args.posEmb, typeEmb: args.typeEmb, out: args.out },
  };
  if (reductionStrategy(ctx, args.strategy) === 'serial') {
    EMBEDDING_SERIAL.dispatch(ctx, { threads: SERIAL_THREADS }, { ...run, workgroups: grid1d(tokens, SERIAL_THREADS) });
  } else {
    EMBEDDING.dispatch(ctx, { threads: THREADS }, { ...run, workgroups: grid1d(tokens, 1) });
  }
}

/** One workgroup per token; its threads count the row prefix together, then write the row. */
function embeddingForwardWgsl(threads: number): string {
  return /* wgsl */ `
var<workgroup> nonPad: atomic<u32>;

@compute @workgroup_size(${threads})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let token = wg.x + wg.y * nwg.x;
  if (token >= p.tokens) { return; }
  if (lid == 0u) { atomicStore(&nonPad, 0u); }
  workgroupBarrier();
  // Non-pad tokens at positions ≤ t of this row, counted by all threads together.
  let rowStart = (token / p.seqLen) * p.seqLen;
  var count = 0u;
  for (var j = rowStart + lid; j <= token; j += ${threads}u) {
    if (ids[j] != p.padId) { count += 1u; }
  }
  if (count > 0u) { atomicAdd(&nonPad, count); }
  workgroupBarrier();
  let id = ids[token];
  let position = select(p.padId, p.padId + i32(atomicLoad(&nonPad)), id != p.padId);
  let posBase = u32(position) * p.hidden;
  let outBase = token * p.hidden;
  for (var h = lid; h < p.hidden; h += ${threads}u) {
    out[outBase + h] = out[outBase + h] + posEmb[posBase + h] + typeEmb[h];
  }
}
`;
}

function embeddingForwardSerialWgsl(threads: number): string {
  return /* wgsl */ `
${flatIndexMain(threads)}
  let token = i;
  if (token >= p.tokens) { return; }
  let id = ids[token];
  // Non-pad tokens at positions ≤ t of this row.
  var nonPad = 0;
  for (var j = (token / p.seqLen) * p.seqLen; j <= token; j++) {
    if (ids[j] != p.padId) { nonPad += 1; }
  }
  let position = select(p.padId, p.padId + nonPad, id != p.padId);
  let posBase = u32(position) * p.hidden;
  let outBase = token * p.hidden;
  for (var h = 0u; h < p.hidden; h++) {
    out[outBase + h] = out[outBase + h] + posEmb[posBase + h] + typeEmb[h];
  }
}
`;
}
