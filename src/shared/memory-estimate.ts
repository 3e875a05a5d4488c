/**
 * How much GPU memory a training run needs at its peak, estimated from shapes alone (no GPU), so
 * the app can say it before a run starts and an out-of-memory error can say what was needed. It
 * counts what the engine keeps: the frozen weights (but the word table, which stays in host
 * memory), each trainable tensor four times (weights, gradients, AdamW's two moments), the
 * activations a forward keeps for backward (what test/model-training-memory.test.ts lists), and
 * the backward pass's largest working set. A
 * Light-PEFT run peaks while it estimates (unpruned, masks trained). test/memory-estimate.test.ts
 * holds it to the engine's measured peaks.
 */
import type { LoraTarget } from './peft-targets';
import { formatBytes } from './format-bytes';

export interface ModelShape {
  /** Frozen base parameters on the GPU (gpuBaseParameters: all but the word table). */
  parameters: number;
  layers: number;
  hidden: number;
  heads: number;
  intermediate: number;
  labels: number;
}

export type EstimatedPeft = { kind: 'lora'; rank: number; targets: readonly LoraTarget[] } | { kind: 'adapter'; size: number };

export interface RunShape {
  batchSize: number;
  /** Tokens per example (the max length: batches are padded to their longest example, at most this). */
  seqLen: number;
  peft: EstimatedPeft;
  /** Light-PEFT: its estimation trains head and FFN masks on the unpruned model. */
  lightPeft: boolean;
}

export interface MemoryEstimate {
  weights: number;
  /** Trainable weights, their gradients and AdamW's moments. */
  training: number;
  activations: number;
  total: number;
  /** The largest single tensor (one GPU buffer, which the adapter's maxStorageBufferBindingSize caps). */
  largestTensor: { bytes: number; what: string };
}

const F32 = 4;

/** A RoBERTa's frozen parameters from its shape (one token type), before any pruning. */
export function baseParameters(s: { vocabSize: number; maxPositions: number; layers: number; hidden: number; intermediate: number }): number {
  const H = s.hidden;
  const embeddings = (s.vocabSize + s.maxPositions + 1) * H + 2 * H;
  const layer = 4 * (H * H + H) + 2 * H * s.intermediate + s.intermediate + H + 4 * H;
  return embeddings + s.layers * layer;
}

/** Those of them the GPU holds: the word table stays in host memory (engine/model/host-table.ts). */
export function gpuBaseParameters(s: { vocabSize: number; maxPositions: number; layers: number; hidden: number; intermediate: number }): number {
  return baseParameters(s) - s.vocabSize * s.hidden;
}

export function estimateTrainingPeak(model: ModelShape, run: RunShape): MemoryEstimate {
  const { layers, hidden: H, heads, intermediate: I, labels } = model;
  const R = run.batchSize * run.seqLen;
  const scores = run.batchSize * heads * run.seqLen * run.seqLen;
  const lora = (target: LoraTarget) => run.peft.kind === 'lora' && run.peft.targets.includes(target);
  const rank = run.peft.kind === 'lora' ? run.peft.rank : 0;
  const adapter = run.peft.kind === 'adapter' ? run.peft.size : 0;

  // Trainable: the PEFT modules, the classification head, Light-PEFT's masks.
  let trainable = H * H + H + H * labels + labels;
  if (run.peft.kind === 'lora') {
    const dims: Record<LoraTarget, [number, number]> = { query: [H, H], key: [H, H], value: [H, H], 'attention.output.dense': [H, H], 'intermediate.dense': [H, I], 'output.dense': [I, H] };
    for (const target of run.peft.targets) trainable += layers * rank * (dims[target][0] + dims[target][1]);
  } else {
    trainable += layers * 2 * (2 * H * adapter + adapter + H);
  }
  if (run.lightPeft) trainable += layers * (heads + I);

  // What one layer keeps for backward (elements).
  let kept = 3 * R * H + scores; // query, key, value; attention probabilities
  if (run.lightPeft) kept += scores; // the probabilities before the head mask
  if (lora('attention.output.dense') || run.lightPeft) kept += R * H; // the context
  kept += R * H + 2 * R; // attention LayerNorm input, mean, rstd
  if (lora('intermediate.dense')) kept += R * H; // the FFN input
  kept += R * I; // GELU input
  if (lora('output.dense') || run.lightPeft) kept += R * I; // GELU output (and the masked one)
  if (run.lightPeft) kept += R * I;
  kept += 2 * R * H + 2 * R; // FFN LayerNorm input, mean, rstd, and the layer's output
  if (run.peft.kind === 'lora') kept += R * rank * run.peft.targets.length;
  if (adapter) kept += 2 * (R * H + 2 * R * adapter); // each adapter's input and hidden units

  // Backward's working set at its largest (one layer's): the gradients of the probabilities and
  // scores, of the FFN's hidden units, and of a few hidden-width tensors.
  const working = 2 * scores + 2 * R * I + 6 * R * H;
  const embeddings = 2 * R * H + 2 * R;
  const activations = layers * kept + embeddings + working;

  const largest = [
    { bytes: F32 * scores, what: 'attention scores (batch × heads × length²)' },
    { bytes: F32 * R * I, what: 'FFN activations (batch × length × intermediate size)' },
  ].sort((a, b) => b.bytes - a.bytes)[0];
  const weights = F32 * model.parameters;
  const training = F32 * 4 * trainable;
  return { weights, training, activations: F32 * activations, total: weights + training + F32 * activations, largestTensor: largest };
}

/** A loaded model as the worker describes it (its ModelSummary's fields). */
export interface LoadedModelShape {
  vocabSize: number;
  maxPositions: number;
  layers: number;
  hidden: number;
  heads: number;
  intermediate: number;
  /** GPU bytes the loaded model holds now. */
  gpuBytes: number;
}

/**
 * A run's peak on the loaded model, as the app starts it: the run builds its own model from the
 * checkpoint's files (unpruned) while the loaded one is still on the GPU (replaced once the build
 * succeeds, so a failed build loses nothing), so the peak is the larger of that moment and training's.
 */
export function estimateRunPeak(model: LoadedModelShape, run: { batchSize: number; maxLength: number; labels: number; peft: EstimatedPeft; lightPeft: boolean }): MemoryEstimate {
  const training = estimateTrainingPeak(
    { parameters: gpuBaseParameters(model), layers: model.layers, hidden: model.hidden, heads: model.heads, intermediate: model.intermediate, labels: run.labels },
    { batchSize: run.batchSize, seqLen: run.maxLength, peft: run.peft, lightPeft: run.lightPeft },
  );
  return { ...training, total: Math.max(training.total, training.weights + model.gpuBytes) };
}

/** What an out-of-memory error says a run needed and what to change, from its estimate. */
export function outOfMemoryAdvice(estimate: MemoryEstimate, run: { batchSize: number; maxLength: number; lightPeft: boolean }): string {
  const parts = `weights ${formatBytes(estimate.weights)}, activations ${formatBytes(estimate.activations)}, training state ${formatBytes(estimate.training)}`;
  const halve = formatBytes(estimate.total - estimate.activations / 2);
  return (
    `This run needs about ${formatBytes(estimate.total)} at its peak (${parts}). ` +
    `Activations grow with the batch size (now ${run.batchSize}) and the max length (now ${run.maxLength}): halving either brings the peak to about ${halve} or less. ` +
    (run.lightPeft ? 'Light-PEFT peaks while it estimates, on the whole model: its ratios shrink only what comes after the prune. ' : '') +
    'Closing other tabs or apps that use the GPU frees memory too; the run keeps its last checkpoint and can be resumed.'
  );
}
