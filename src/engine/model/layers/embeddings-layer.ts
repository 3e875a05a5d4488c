/**
 * The embeddings, forward only (they are frozen): word (rows gathered on the host) + position +
 * token type, LayerNorm, dropout.
 */
import type { Tensor } from '../../../gpu/buffers';
import { embeddingForward } from '../../../kernels/embedding';
import { layerNormForward } from '../../../kernels/layernorm';
import type { Embeddings } from '../params';
import { gatherRows } from '../host-table';
import { dropoutLayerForward } from './dropout-layer';
import type { ForwardPass } from './step-pass';

export function embeddingsForward(pass: ForwardPass, embeddings: Embeddings): Tensor {
  const { ctx, batch, config, rows } = pass;
  const H = config.hidden;
  const embedded = pass.alloc([rows, H]);
  ctx.upload(embedded, gatherRows(embeddings.word, batch.hostInputIds));
  embeddingForward(ctx, {
    inputIds: batch.inputIds,
    posEmb: embeddings.position,
    typeEmb: embeddings.tokenType,
    out: embedded,
    batch: batch.batch,
    seqLen: batch.seqLen,
    hidden: H,
    padId: config.padTokenId,
  });
  const normed = pass.alloc([rows, H]);
  const mean = pass.alloc([rows]);
  const rstd = pass.alloc([rows]);
  layerNormForward(ctx, { x: embedded, ...embeddings.norm, out: normed, mean, rstd, rows, cols: H, eps: config.layerNormEps });
  return dropoutLayerForward(pass, normed, rows * H, { p: pass.dropout.hidden, seed: pass.dropout.next() });
}
