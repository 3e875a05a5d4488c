/**
 * Light-PEFT vs the LoRA baseline (r=8 on query,value, unpruned), measured in one run on the same
 * model shape and batch: training-step time, peak GPU bytes while training, inference time and
 * inference GPU bytes — at the default ratios, at heads 1/2 + FFN 1/2 and at heads 3/4 + FFN 3/4
 * (the demo's accuracy at each is in bench/demo-accuracy.json).
 *   npm run bench:lightpeft               roberta-base shape, batch 32 × 128 (a GPU job)
 *   npm run bench:lightpeft -- --quick    4 layers × 256 hidden, batch 8 × 64 (CPU-friendly; default when CI is set)
 * Also: --runs N (interleaved rounds, default 9), --batch N (another batch size, same sequence
 * length), --no-profile (skip the per-kernel profile), --out NAME (write bench/results/NAME
 * instead of lightpeft-node.json). The roberta-base
 * shape on a CPU-only machine (a baseline step takes about 6 minutes on 2 cores; about 75 minutes
 * in all), which bench:report reads beside the quick shape's:
 *   npm run bench:lightpeft -- --full --runs 1 --no-profile --out lightpeft-node-roberta-base.json
 * (`--batch 2` measures its memory in a few minutes).
 * Pruning uses seeded random scores: speed and memory depend on what is kept, not on why.
 * The four configurations live at once, each on a device of its own, and are timed in interleaved
 * rounds (bench/interleave.ts): timed one after another, the quick shape's ratios moved by up to
 * 1.8× between runs on the same machine as its speed drifted. At the roberta-base shape the four
 * pools together hold about 7 GiB.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GpuContext } from '../src/gpu/context';
import { acquireNodeGpu } from '../src/platform/node/gpu';
import { parseModelConfig, type ModelConfig } from '../src/engine/model/config';
import { randomWeights } from '../src/engine/model/random-weights';
import { buildModel } from '../src/engine/model/build';
import type { RobertaModel } from '../src/engine/model/roberta';
import { uploadBatch, type DeviceBatch } from '../src/engine/model/batch';
import type { PeftConfig } from '../src/engine/model/peft';
import { gradientStep } from '../src/engine/train/step';
import { AdamW, defaultOptimizer } from '../src/engine/train/optimizer';
import { BASELINE_SCHEDULE, LIGHT_PEFT_DEFAULTS, LORA_DEFAULTS } from '../src/engine/train/defaults';
import { DEFAULT_RATIOS, planPruning, type PlanRatios } from '../src/shared/pruning-plan';
import { prune } from '../src/engine/lightpeft/prune';
import { readScores } from '../src/engine/lightpeft/scores';
import { mulberry32 } from '../src/engine/random';
import { parseBenchArgs } from './args';
import { BENCH_MODEL_SHAPES } from './model-shapes';
import { KernelProfiler, summarizeKernels, type KernelShare } from '../src/gpu/profiler';
import { interleavedTimes, median } from './interleave';

/** Interleaved rounds when --runs is not given (see parseLightPeftArgs). */
const LIGHT_PEFT_BENCH_ROUNDS = 9;

const resultsDir = join(dirname(fileURLToPath(import.meta.url)), 'results');


interface Measurement {
  name: string;
  /** The pruning ratios; null for the unpruned LoRA baseline. */
  ratios: PlanRatios | null;
  /** The median of the interleaved runs; the runs themselves in trainStepSamplesMs. */
  trainStepMs: number;
  trainStepSamplesMs: number[];
  peakTrainBytes: number;
  inferenceMs: number;
  inferenceSamplesMs: number[];
  inferenceBytes: number;
  trainableParams: number;
  /** Trainable minus the classification head: the PEFT modules alone. */
  peftParams: number;
  /** What the training peak and the inference peak are made of (bytes; each sums to its peak). */
  memory: { train: MemoryBreakdown; inference: MemoryBreakdown };
  /** Where one profiled training step's and one forward's GPU time goes, by kernel (null without timestamp-query). */
  profile: { train: KernelShare[]; inference: KernelShare[] } | null;
}

/**
 * A peak's parts: what stays on the GPU between steps (frozen base weights; trainable weights, their
 * gradients and AdamW's two moments; the rest: masks, the batch, bucket rounding), what a step adds
 * on top (activations and temporaries) and pooled buffers nobody used at that moment (pool slack).
 */
interface MemoryBreakdown {
  baseWeights: number;
  trainableWeights: number;
  gradients: number;
  optimizerState: number;
  otherPersistent: number;
  activations: number;
  poolSlack: number;
  /** Not part of the GPU peak: the word table, in host memory (src/engine/model/host-table.ts). */
  hostWordTable: number;
}

/** Splits the pool's peaks since the last `resetPeak`, given what was in use at rest just before. */
function memoryBreakdown(ctx: GpuContext, model: RobertaModel, atRest: number, training: boolean): MemoryBreakdown {
  const baseWeights = model.baseParameterCount('gpu') * 4;
  const trainable = model.trainableParameterCount() * 4;
  const gradients = training ? trainable : 0;
  const optimizerState = training ? 2 * trainable : 0;
  return {
    baseWeights,
    trainableWeights: trainable,
    gradients,
    optimizerState,
    otherPersistent: atRest - baseWeights - trainable - gradients - optimizerState,
    activations: ctx.pool.peakInUseBytes - atRest,
    poolSlack: ctx.pool.peakAllocatedBytes - ctx.pool.peakInUseBytes,
    hostWordTable: model.embeddings.word.data.byteLength,
  };
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)}`;
const describeMemory = (m: MemoryBreakdown) =>
  `base ${mib(m.baseWeights)}, trainable ${mib(m.trainableWeights)} + grads ${mib(m.gradients)} + AdamW ${mib(m.optimizerState)}, other ${mib(m.otherPersistent)}, activations ${mib(m.activations)}, pool slack ${mib(m.poolSlack)} MiB (word table ${mib(m.hostWordTable)} MiB on the host)`;

/** One more run of `work` with every dispatch timed on the GPU (after the timed runs: profiling splits passes). */
async function profiled(ctx: GpuContext, work: () => Promise<void>): Promise<KernelShare[] | null> {
  if (!ctx.device.features.has('timestamp-query')) return null;
  const profiler = new KernelProfiler(ctx.device);
  ctx.profiler = profiler;
  try {
    await work();
    await ctx.sync();
    return summarizeKernels(await profiler.collect());
  } finally {
    ctx.profiler = null;
    profiler.dispose();
  }
}

const top = (kernels: KernelShare[] | null | undefined) =>
  kernels ? kernels.slice(0, 5).map((k) => `${k.name} ${(k.share * 100).toFixed(0)}%`).join(', ') : 'not profiled (no timestamp-query)';

async function main(): Promise<void> {
  const { quick, runs, batch, profile, out } = parseLightPeftArgs(process.argv.slice(2));
  const named = quick ? BENCH_MODEL_SHAPES.quick : BENCH_MODEL_SHAPES.full;
  const shape = { ...named, batch: batch ?? named.batch };
  const config = parseModelConfig({ model_type: 'roberta', max_position_embeddings: shape.seqLen + 2, hidden_dropout_prob: 0, attention_probs_dropout_prob: 0, ...shape.config });
  console.error(`Light-PEFT benchmark: ${config.layers} layers × ${config.hidden} hidden, batch ${shape.batch} × ${shape.seqLen}, median of ${runs} interleaved rounds`);
  const { rank, alpha, dropout } = LORA_DEFAULTS;
  const lightPeft: PeftConfig = { kind: 'lora', rank, alpha, dropout, targets: LIGHT_PEFT_DEFAULTS.targets };
  const configurations: [string, PeftConfig, PlanRatios | null][] = [
    ['lora r=8 query,value (baseline)', { kind: 'lora', rank, alpha, dropout, targets: LORA_DEFAULTS.targets }, null],
    ['light-peft default ratios', lightPeft, DEFAULT_RATIOS],
    ['light-peft heads 1/2 + ffn 1/2', lightPeft, { ...DEFAULT_RATIOS, head: 0.5, ffn: 0.5 }],
    ['light-peft heads 3/4 + ffn 3/4', lightPeft, { ...DEFAULT_RATIOS, head: 0.75, ffn: 0.75 }],
  ];
  const subjects: Subject[] = [];
  let measured: Measurement[];
  try {
    for (const [name, peft, ratios] of configurations) subjects.push(await prepare(name, config, shape, peft, ratios));
    measured = await measureAll(subjects, runs, profile);
  } finally {
    for (const s of subjects) s.ctx.destroy();
  }
  const [baseline, ...pruned] = measured;
  const vs = (m: Measurement) => ({
    trainSpeedup: baseline.trainStepMs / m.trainStepMs,
    trainMemorySaved: 1 - m.peakTrainBytes / baseline.peakTrainBytes,
    inferenceSpeedup: baseline.inferenceMs / m.inferenceMs,
    inferenceMemorySaved: 1 - m.inferenceBytes / baseline.inferenceBytes,
    trainableFraction: m.trainableParams / baseline.trainableParams,
    peftFraction: m.peftParams / baseline.peftParams,
  });
  const report = {
    date: new Date().toISOString(),
    quick,
    runs,
    shape: { layers: config.layers, hidden: config.hidden, heads: config.heads, intermediate: config.intermediate, vocab: config.vocabSize, batch: shape.batch, seqLen: shape.seqLen },
    results: measured,
    versusBaseline: Object.fromEntries(pruned.map((m) => [m.name, vs(m)])),
    paper: { trainSpeedup: 1.6, trainMemorySaved: 0.39, inferenceSpeedup: 1.6, inferenceMemorySaved: 0.48 },
  };
  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, out);
  const json = JSON.stringify(report, null, 2);
  writeFileSync(file, json + '\n');
  console.log(json);
  console.error(`wrote ${file}`);
}

/** parseBenchArgs's options plus this benchmark's own (see the header). */
function parseLightPeftArgs(argv: string[]) {
  const own = { batch: undefined as number | undefined, profile: true, out: 'lightpeft-node.json' };
  const take = (arg: string, value: () => string) => {
    if (arg === '--no-profile') own.profile = false;
    else if (arg.startsWith('--batch')) {
      own.batch = Number(value());
      if (!Number.isInteger(own.batch) || own.batch < 1) throw new Error('--batch takes a positive integer');
    } else if (arg.startsWith('--out')) {
      own.out = value();
      if (!/^[\w.-]+\.json$/.test(own.out)) throw new Error('--out takes a file name ending in .json (written under bench/results/)');
    } else return false;
    return true;
  };
  // 9 interleaved rounds by default: with 5, the 3/4 ratio's median still moved 2.56× ↔ 3.28× between runs.
  const common = parseBenchArgs(argv, process.env, { take, usage: '--batch N, --no-profile, --out NAME.json', defaultRuns: LIGHT_PEFT_BENCH_ROUNDS });
  return { ...common, ...own };
}

/** One configuration, built and pruned on a device of its own, ready to step and to infer. */
interface Subject {
  name: string;
  ratios: PlanRatios | null;
  ctx: GpuContext;
  model: RobertaModel;
  optimizer: AdamW;
  trainStep: () => Promise<void>;
  forward: () => Promise<void>;
}

async function prepare(name: string, config: ModelConfig, shape: { batch: number; seqLen: number }, peft: PeftConfig, ratios: PlanRatios | null): Promise<Subject> {
  const ctx = new GpuContext(await acquireNodeGpu());
  try {
    const model = await buildModel(ctx, { config, weights: randomWeights(config), peft, trainMasks: ratios !== null, seed: 1 });
    const batch = syntheticBatch(ctx, config, shape);
    if (ratios) {
      // Random scores stand in for an estimation phase's: one scored step, then random masks.
      const step = gradientStep(model, batch, { lambdaHead: 0, lambdaFfn: 0, scoreBeta: 0 });
      step.release();
      const scores = await readScores(model, 1);
      const random = mulberry32(3);
      scores.headMasks = scores.headMasks.map((l) => l.map(() => random()));
      scores.ffnMasks = scores.ffnMasks.map((l) => l.map(() => random()));
      await prune(model, planPruning(scores, ratios));
    }
    model.trainMasks = false;
    // Each method's own schedule (the baseline's weight decay; the pruned model's run has none).
    const schedule = ratios ? LIGHT_PEFT_DEFAULTS.training : BASELINE_SCHEDULE;
    const optimizer = new AdamW(ctx, defaultOptimizer({ ...schedule, maskLrMultiplier: LIGHT_PEFT_DEFAULTS.maskLrMultiplier }));
    const trainStep = async () => {
      const step = gradientStep(model, batch, { lambdaHead: 0, lambdaFfn: 0 });
      optimizer.update(model.trainableParams());
      await ctx.read(step.totalLoss);
      step.release();
    };
    const forward = async () => {
      const result = model.forward(batch, { forBackward: false });
      await ctx.read(result.logits);
      model.release(result);
    };
    return { name, ratios, ctx, model, optimizer, trainStep, forward };
  } catch (error) {
    ctx.destroy();
    throw error;
  }
}

/**
 * Times every subject's training step, then its forward, in interleaved rounds (bench/interleave.ts),
 * each on its own device so each pool's peak is its own; then profiles one more of each.
 */
async function measureAll(subjects: Subject[], runs: number, withProfile: boolean): Promise<Measurement[]> {
  for (const s of subjects) {
    await s.trainStep(); // warm-up: pipelines, optimizer state
    s.ctx.pool.trim();
    s.ctx.pool.resetPeak();
  }
  const trainAtRest = subjects.map((s) => s.ctx.pool.inUseBytes);
  const trainTimes = await interleavedTimes(runs, subjects.map((s) => s.trainStep));
  const train = subjects.map((s, i) => ({ peak: s.ctx.pool.peakAllocatedBytes, memory: memoryBreakdown(s.ctx, s.model, trainAtRest[i], true) }));
  const trainProfiles = [];
  for (const s of subjects) {
    trainProfiles.push(withProfile ? await profiled(s.ctx, s.trainStep) : null);
    s.optimizer.dispose();
  }
  for (const s of subjects) {
    await s.forward();
    for (const p of s.model.trainableParams()) p.grad.dispose(); // inference holds no gradients
    s.ctx.pool.trim();
    s.ctx.pool.resetPeak();
  }
  const inferenceAtRest = subjects.map((s) => s.ctx.pool.inUseBytes);
  const inferenceTimes = await interleavedTimes(runs, subjects.map((s) => s.forward));
  const inference = subjects.map((s, i) => ({ peak: s.ctx.pool.peakAllocatedBytes, memory: memoryBreakdown(s.ctx, s.model, inferenceAtRest[i], false) }));
  const measurements: Measurement[] = [];
  for (const [i, s] of subjects.entries()) {
    const inferenceProfile = withProfile ? await profiled(s.ctx, s.forward) : null;
    const trainProfile = trainProfiles[i];
    const trainableParams = s.model.trainableParameterCount();
    const head = Object.values(s.model.classifier.w).reduce((n, t) => n + t.size, 0);
    const m: Measurement = {
      name: s.name,
      ratios: s.ratios,
      trainStepMs: median(trainTimes[i]),
      trainStepSamplesMs: trainTimes[i].map(roundMs),
      peakTrainBytes: train[i].peak,
      inferenceMs: median(inferenceTimes[i]),
      inferenceSamplesMs: inferenceTimes[i].map(roundMs),
      inferenceBytes: inference[i].peak,
      trainableParams,
      peftParams: trainableParams - head,
      memory: { train: train[i].memory, inference: inference[i].memory },
      profile: trainProfile && inferenceProfile ? { train: trainProfile, inference: inferenceProfile } : null,
    };
    console.error(`${m.name.padEnd(34)} train ${m.trainStepMs.toFixed(0)} ms, peak ${mib(m.peakTrainBytes)} MiB; inference ${m.inferenceMs.toFixed(0)} ms, ${mib(m.inferenceBytes)} MiB`);
    console.error(`${''.padEnd(34)} train steps ${m.trainStepSamplesMs.join(', ')} ms; forwards ${m.inferenceSamplesMs.join(', ')} ms`);
    console.error(`${''.padEnd(34)} training peak: ${describeMemory(m.memory.train)}`);
    console.error(`${''.padEnd(34)} inference peak: ${describeMemory(m.memory.inference)}`);
    if (withProfile) console.error(`${''.padEnd(34)} train GPU time: ${top(m.profile?.train)}; inference: ${top(m.profile?.inference)}`);
    measurements.push(m);
  }
  return measurements;
}

const roundMs = (ms: number) => Math.round(ms * 10) / 10;

function syntheticBatch(ctx: GpuContext, config: ModelConfig, shape: { batch: number; seqLen: number }): DeviceBatch {
  const random = mulberry32(11);
  const row = () => [0, ...Array.from({ length: shape.seqLen - 2 }, () => 3 + Math.floor(random() * (config.vocabSize - 4))), 2];
  const inputIds = Array.from({ length: shape.batch }, row);
  return uploadBatch(ctx, { inputIds, attentionMask: inputIds.map((r) => r.map(() => 1)), labels: inputIds.map((_, i) => i % 2) });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
