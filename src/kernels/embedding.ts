/**
 * RoBERTa input embeddings: out[token] = wordEmb[id] + posEmb[positionId] + typeEmb[0]
 * (token type ids are all zero for RoBERTa). Forward only: the embedding tables are frozen in
 * this app (LoRA/Adapters never touch them), so no gradient flows into them.
 *
 * Position ids follow HF `create_position_ids_from_input_ids`: padId + (non-pad tokens at
 * positions ≤ t in the row) for a non-pad token, padId for a pad. Two strategies, chosen by the
 * device:
 * - `workgroup` (GPUs): one 256-thread workgroup per token counts its row prefix cooperatively
 *   (rows are ≤ 512 tokens, so ≤ 2 ids per thread), then writes the row.
 * - `serial` (CPU-emulated WebGPU such as SwiftShader, where barriers are slow): one invocation
 *   per token counts its prefix and writes its row, with no barriers.
 * Ids must lie in [0, vocab): out-of-range reads are clamped by WebGPU, not reported.
 */
import type { GpuContext } from '../gpu/context';
import type { Tensor } from '../gpu/buffers';
import { flatIndexMain, grid1d, packUniforms, uniformStruct, reductionStrategy, type ReductionStrategy } from './wgsl';

const THREADS = 256;
const SERIAL_THREADS = 64;

const PARAMS = { tokens: 'u32', seqLen: 'u32', hidden: 'u32', padId: 'i32' } as const;

export interface EmbeddingForwardArgs {
  /** i32 [batch*seqLen] */
  inputIds: Tensor;
  wordEmb: Tensor; // [vocab, hidden]
  posEmb: Tensor; // [maxPositions, hidden]
  typeEmb: Tensor; // [typeVocab, hidden]; row 0 is used
  out: Tensor; // [batch*seqLen, hidden]
  batch: number;
  seqLen: number;
  hidden: number;
  padId: number;
  /** Overrides the device's choice (tests exercise both on every machine). */
  strategy?: ReductionStrategy;
}

export function embeddingForward(ctx: GpuContext, args: EmbeddingForwardArgs): void {
  const { batch, seqLen, hidden, padId } = args;
  if (args.inputIds.dtype !== 'i32') throw new Error(`embeddingForward: inputIds must be i32, got ${args.inputIds.dtype}`);
  const tokens = batch * seqLen;
  if (tokens === 0) return;
  const strategy = reductionStrategy(ctx, args.strategy);
  const serial = strategy === 'serial';
  ctx.dispatch({
    key: `embeddingForward:${strategy}:${serial ? SERIAL_THREADS : THREADS}`,
    code: serial ? embeddingForwardSerialWgsl : embeddingForwardWgsl,
    uniforms: packUniforms(PARAMS, { tokens, seqLen, hidden, padId }),
    buffers: [args.inputIds, args.wordEmb, args.posEmb, args.typeEmb, args.out],
    workgroups: serial ? grid1d(tokens, SERIAL_THREADS) : grid1d(tokens, 1),
  });
}

const BINDINGS = /* wgsl */ `
${uniformStruct(PARAMS)}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> ids: array<i32>;       // [tokens]
@group(0) @binding(2) var<storage, read> wordEmb: array<f32>;   // [vocab, hidden]
@group(0) @binding(3) var<storage, read> posEmb: array<f32>;    // [maxPositions, hidden]
@group(0) @binding(4) var<storage, read> typeEmb: array<f32>;   // [typeVocab, hidden]
@group(0) @binding(5) var<storage, read_write> out: array<f32>; // [tokens, hidden]
`;

function embeddingForwardWgsl(): string {
  return /* wgsl */ `${BINDINGS}
var<workgroup> nonPad: atomic<u32>;

@compute @workgroup_size(${THREADS})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let token = wg.x + wg.y * nwg.x;
  if (token >= p.tokens) { return; }
  if (lid == 0u) { atomicStore(&nonPad, 0u); }
  workgroupBarrier();
  // Non-pad tokens at positions ≤ t of this row, counted by all threads together.
  let rowStart = (token / p.seqLen) * p.seqLen;
  var count = 0u;
  for (var j = rowStart + lid; j <= token; j += ${THREADS}u) {
    if (ids[j] != p.padId) { count += 1u; }
  }
  if (count > 0u) { atomicAdd(&nonPad, count); }
  workgroupBarrier();
  let id = ids[token];
  let position = select(p.padId, p.padId + i32(atomicLoad(&nonPad)), id != p.padId);
  let wordBase = u32(id) * p.hidden;
  let posBase = u32(position) * p.hidden;
  let outBase = token * p.hidden;
  for (var h = lid; h < p.hidden; h += ${THREADS}u) {
    out[outBase + h] = wordEmb[wordBase + h] + posEmb[posBase + h] + typeEmb[h];
  }
}
`;
}

function embeddingForwardSerialWgsl(): string {
  return /* wgsl */ `${BINDINGS}
${flatIndexMain(SERIAL_THREADS)}
  let token = i;
  if (token >= p.tokens) { return; }
  let id = ids[token];
  // Non-pad tokens at positions ≤ t of this row.
  var nonPad = 0;
  for (var j = (token / p.seqLen) * p.seqLen; j <= token; j++) {
    if (ids[j] != p.padId) { nonPad += 1; }
  }
  let position = select(p.padId, p.padId + nonPad, id != p.padId);
  let wordBase = u32(id) * p.hidden;
  let posBase = u32(position) * p.hidden;
  let outBase = token * p.hidden;
  for (var h = 0u; h < p.hidden; h++) {
    out[outBase + h] = wordEmb[wordBase + h] + posEmb[posBase + h] + typeEmb[h];
  }
}
`;
}
