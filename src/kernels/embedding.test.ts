import { describe, expect, it } from 'vitest';
import { embeddingForward } from './embedding';
import type { ReductionStrategy } from './wgsl';
import { embeddingForwardRef, robertaPositionIds } from './reference/embedding';
import { expectClose, gpuContext, randomArray, rng } from '../../test/helpers';

const PAD = 1;

describe('robertaPositionIds', () => {
  it('counts non-pad tokens from padId + 1 and gives pads padId (HF create_position_ids_from_input_ids)', () => {
    const ids = Int32Array.from([0, 5, 6, 2, 1, 1, 0, 7, 1, 8, 2, 1]);
    expect(Array.from(robertaPositionIds(ids, 2, 6, PAD))).toEqual([2, 3, 4, 5, 1, 1, 2, 3, 1, 4, 5, 1]);
  });
});

/** Random ids in [0, vocab) that avoid PAD, then PAD at the given positions of each row. */
function makeIds(batch: number, seqLen: number, vocab: number, pads: (b: number, t: number) => boolean, seed: number): Int32Array {
  const r = rng(seed);
  const ids = new Int32Array(batch * seqLen);
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t < seqLen; t++) {
      let id = Math.floor(r() * vocab);
      if (id === PAD) id = PAD + 1;
      ids[b * seqLen + t] = pads(b, t) ? PAD : id;
    }
  }
  return ids;
}

interface Case {
  batch: number;
  seqLen: number;
  hidden: number;
  vocab: number;
  pads: (b: number, t: number) => boolean;
  label: string;
}

const cases: Case[] = [
  // row 0 unpadded, row 1 padded after 5 tokens, row 2 has a pad in the middle and at the end
  { batch: 3, seqLen: 9, hidden: 30, vocab: 50, pads: (b, t) => (b === 1 && t >= 5) || (b === 2 && (t === 3 || t === 8)), label: 'padding' },
  { batch: 3, seqLen: 9, hidden: 769, vocab: 11, pads: (b, t) => b === 0 && t > 0, label: 'hidden 769' },
  // rows longer than the workgroup exercise the strided prefix count
  { batch: 2, seqLen: 300, hidden: 5, vocab: 40, pads: (b, t) => (b === 1 && t >= 260) || t % 97 === 50, label: 'seqLen 300' },
  { batch: 1, seqLen: 1, hidden: 1, vocab: 3, pads: () => false, label: 'one token' },
];

describe.each<ReductionStrategy>(['workgroup', 'serial'])('embeddingForward kernel (%s) vs CPU reference', (strategy) => {
  for (const [k, c] of cases.entries()) {
    it(`batch ${c.batch} × seqLen ${c.seqLen}, hidden ${c.hidden} (${c.label})`, async () => {
      const ctx = await gpuContext();
      const { batch, seqLen, hidden, vocab } = c;
      const maxPositions = seqLen + PAD + 1;
      const inputIds = makeIds(batch, seqLen, vocab, c.pads, 60 + k);
      const wordEmb = randomArray(vocab * hidden, 61 + k);
      const posEmb = randomArray(maxPositions * hidden, 62 + k);
      const typeEmb = randomArray(2 * hidden, 63 + k); // only row 0 may be used
      const expected = new Float32Array(batch * seqLen * hidden);
      const common = { batch, seqLen, hidden, padId: PAD };
      embeddingForwardRef({ ...common, inputIds, wordEmb, posEmb, typeEmb, out: expected });

      // The kernel adds to the word rows the host gathered into `out`.
      const wordRows = new Float32Array(batch * seqLen * hidden);
      inputIds.forEach((id, k) => wordRows.set(wordEmb.subarray(id * hidden, (id + 1) * hidden), k * hidden));
      const t = {
        inputIds: ctx.fromArray(inputIds, [batch * seqLen]),
        posEmb: ctx.fromArray(posEmb, [maxPositions, hidden]),
        typeEmb: ctx.fromArray(typeEmb, [2, hidden]),
        out: ctx.fromArray(wordRows, [batch * seqLen, hidden]),
      };
      embeddingForward(ctx, { ...common, ...t, strategy });
      expectClose(await ctx.read(t.out), expected, 1e-6, c.label);
      for (const tensor of Object.values(t)) tensor.dispose();
    });
  }
});
