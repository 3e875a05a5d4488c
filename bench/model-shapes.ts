/**
 * The model shapes and batches the model-level benchmarks share (bench/lightpeft.ts,
 * bench/torch-step.ts), so their figures are comparable: roberta-base at batch 32 × 128 (a GPU
 * job), and a CPU-friendly quick shape.
 */
export const BENCH_MODEL_SHAPES = {
  full: { config: { hidden_size: 768, num_hidden_layers: 12, num_attention_heads: 12, intermediate_size: 3072, vocab_size: 50265 }, batch: 32, seqLen: 128 },
  quick: { config: { hidden_size: 256, num_hidden_layers: 4, num_attention_heads: 4, intermediate_size: 1024, vocab_size: 8000 }, batch: 8, seqLen: 64 },
};
