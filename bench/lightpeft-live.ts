/**
 * The live masks view's cost: the same Light-PEFT estimation run twice from the same seed on the
 * built-in demo model and data at the app's demo settings (LIGHT_PEFT_DEMO) — one run reads a
 * snapshot (masks and scores, one batched read-back) every `snapshotEvery` steps as the worker does
 * for the live view, the other never does — in alternating blocks of `snapshotEvery` steps in the
 * same process (ABBA order, so drift and other load on the machine fall on both alike).
 *   npm run bench:live                  the demo's estimation budget (11 block pairs), 3 rounds
 *   npm run bench:live -- --quick       3 block pairs (~2 minutes on a 2-core CPU, where a step takes ~3 s)
 * Prints and writes bench/results/lightpeft-live-node.json: the mean step seconds of each run, the
 * overhead (with / without − 1; the target in docs/ARCHITECTURE.md, Benchmarks: under 5%) and the snapshot's own mean time
 * (and what it reads). Exits 1 if the two runs' losses differ (a snapshot must only read).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GpuContext } from '../src/gpu/context';
import { acquireNodeGpu } from '../src/platform/node/gpu';
import { nodeDirReader } from '../src/platform/node/dir-reader';
import { readModelDir } from '../src/engine/model/model-dir';
import { readTokenizerDir } from '../src/engine/io/tokenizer-dir';
import { parseDatasetBytes } from '../src/engine/io/datasets';
import { buildModel } from '../src/engine/model/build';
import type { PeftConfig } from '../src/engine/model/peft';
import { CLASSIFIER_TENSORS } from '../src/engine/model/names';
import { prepareTask } from '../src/engine/train/task';
import type { TrainSettings } from '../src/engine/train/trainer';
import { logEveryFor } from '../src/engine/train/run-options';
import { LIGHT_PEFT_DEFAULTS, LORA_DEFAULTS, TRAINING_DEFAULTS } from '../src/engine/train/defaults';
import { LIGHT_PEFT_DEMO } from '../src/shared/training-defaults';
import { LightPeftRun } from '../src/engine/lightpeft/run';
import { parseBenchArgs } from './args';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const resultsDir = join(root, 'bench', 'results');
const DEMO_MODEL = join(root, 'public', 'demo', 'model');
const DEMO_TRAIN = join(root, 'public', 'demo', 'data', 'train.csv');

interface Timings {
  /** Seconds of each measured block, divided by its steps. */
  stepSeconds: number[];
  /** Seconds of each snapshot() (the with-snapshots run only). */
  snapshotSeconds: number[];
}

async function main(): Promise<void> {
  const { quick } = parseBenchArgs(process.argv.slice(2));
  const demo = LIGHT_PEFT_DEMO;
  const every = demo.snapshotEvery;
  // After one warm-up step, blocks of `every` steps up to the estimation budget (whose last step prunes: never reached).
  const budgetBlocks = Math.floor((demo.estimateSteps - 2) / every);
  const blocksPerRound = quick ? 3 : budgetBlocks;
  const rounds = quick ? 1 : 3;

  const reader = nodeDirReader(DEMO_MODEL);
  const { config, weights } = await readModelDir(reader);
  const tokenizer = await readTokenizerDir(reader);
  const task = prepareTask({
    config,
    hasHead: weights.has(CLASSIFIER_TENSORS.outWeight),
    train: parseDatasetBytes(new Uint8Array(readFileSync(DEMO_TRAIN)), 'train.csv'),
    validationFraction: TRAINING_DEFAULTS.validationFraction,
    seed: TRAINING_DEFAULTS.seed,
  });
  const estimation: TrainSettings = {
    steps: demo.estimateSteps,
    batchSize: demo.batchSize,
    maxLength: demo.maxLength,
    seed: TRAINING_DEFAULTS.seed,
    lr: demo.lr,
    warmupRatio: LIGHT_PEFT_DEFAULTS.estimation.warmupRatio,
    weightDecay: LIGHT_PEFT_DEFAULTS.estimation.weightDecay,
    maskLrMultiplier: demo.maskLrMultiplier,
    lambdaHead: demo.lambdaHead,
    lambdaFfn: demo.lambdaFfn,
    dropout: true,
    // The app reads the loss back on a divisor of its checkpoint interval.
    logEvery: logEveryFor(demo.checkpointEvery),
    maxGradNorm: TRAINING_DEFAULTS.maxGradNorm,
    evalEvery: demo.evalEvery,
  };
  const peft: PeftConfig = { kind: 'lora', rank: LORA_DEFAULTS.rank, alpha: LORA_DEFAULTS.alpha, dropout: LORA_DEFAULTS.dropout, targets: LIGHT_PEFT_DEFAULTS.targets };
  console.error(
    `Live-view cost: demo model ${config.layers} layers × ${config.hidden}, batch ${demo.batchSize} × ${demo.maxLength}, λ ${demo.lambdaHead}/${demo.lambdaFfn}, ` +
      `a snapshot every ${every} steps; ${rounds} round(s) of 1 + ${blocksPerRound} blocks of ${every} steps per run`,
  );

  const ctx = new GpuContext(await acquireNodeGpu());
  const withSnapshots: Timings = { stepSeconds: [], snapshotSeconds: [] };
  const without: Timings = { stepSeconds: [], snapshotSeconds: [] };
  let snapshotRead = { tensors: 0, values: 0 };
  let sameLosses = true;
  try {
    for (let round = 0; round < rounds; round++) {
      const pair = await Promise.all([0, 1].map(async () => {
        const model = await buildModel(ctx, { config: task.config, weights, peft, trainMasks: false, seed: TRAINING_DEFAULTS.seed });
        return new LightPeftRun(model, tokenizer, { train: task.train, validation: task.validation }, { estimation, training: { ...estimation, steps: 1 }, ratios: LIGHT_PEFT_DEFAULTS.ratios });
      }));
      const [live, plain] = pair;
      const block = async (run: LightPeftRun, timings: Timings | null, steps = every) => {
        const start = performance.now();
        await run.runSteps(steps);
        if (run === live) {
          // The snapshot's own time: its read-back would otherwise also wait for the block's last step.
          await ctx.sync();
          const before = performance.now();
          const snapshot = await run.snapshot();
          if (timings) timings.snapshotSeconds.push((performance.now() - before) / 1000);
          const s = snapshot.scores;
          const tensors = [...s.headMasks, ...s.ffnMasks];
          snapshotRead = { tensors: tensors.length + 2 * s.modules.length, values: tensors.reduce((n, t) => n + t.length, 0) + s.modules.reduce((n, m) => n + 1 + m.rankScores.length, 0) };
        }
        await ctx.sync();
        timings?.stepSeconds.push((performance.now() - start) / 1000 / every);
      };
      // A warm-up step each (pipelines, optimizer state), then ABBA pairs of blocks.
      await block(live, null, 1);
      await block(plain, null, 1);
      for (let b = 0; b < blocksPerRound; b++) {
        const liveFirst = b % 2 === 0;
        const order: [LightPeftRun, Timings][] = [[live, withSnapshots], [plain, without]];
        for (const [run, timings] of liveFirst ? order : order.reverse()) await block(run, timings);
        console.error(
          `round ${round + 1} block ${b + 1}/${blocksPerRound}: with ${withSnapshots.stepSeconds.at(-1)!.toFixed(3)} s/step, without ${without.stepSeconds.at(-1)!.toFixed(3)} s/step, snapshot ${(withSnapshots.snapshotSeconds.at(-1)! * 1000).toFixed(1)} ms`,
        );
      }
      // Snapshots only read: both runs must have trained identically.
      const losses = (run: LightPeftRun) => run.logs.map((l) => l.loss);
      sameLosses &&= JSON.stringify(losses(live)) === JSON.stringify(losses(plain));
      for (const run of pair) {
        run.dispose();
        run.model.dispose();
      }
      ctx.pool.trim();
    }
  } finally {
    ctx.destroy();
  }

  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const withMean = mean(withSnapshots.stepSeconds);
  const withoutMean = mean(without.stepSeconds);
  const overhead = withMean / withoutMean - 1;
  // Each pair ran back to back: its ratio is the least disturbed by load that comes and goes.
  const pairRatios = withSnapshots.stepSeconds.map((s, i) => s / without.stepSeconds[i] - 1).sort((a, b) => a - b);
  const medianPairOverhead = pairRatios.length % 2 ? pairRatios[pairRatios.length >> 1] : (pairRatios[pairRatios.length / 2 - 1] + pairRatios[pairRatios.length / 2]) / 2;
  const snapshotMean = mean(withSnapshots.snapshotSeconds);
  const report = {
    date: new Date().toISOString(),
    quick,
    settings: { model: 'public/demo/model', data: 'public/demo/data/train.csv', batchSize: demo.batchSize, maxLength: demo.maxLength, lambdaHead: demo.lambdaHead, lambdaFfn: demo.lambdaFfn, snapshotEvery: every, peft },
    rounds,
    blocksPerRound,
    stepsPerBlock: every,
    withSnapshots: { meanStepSeconds: withMean, stepSeconds: withSnapshots.stepSeconds },
    withoutSnapshots: { meanStepSeconds: withoutMean, stepSeconds: without.stepSeconds },
    /** with / without − 1 (the target in docs/ARCHITECTURE.md, Benchmarks: under 0.05). */
    overhead,
    /** The median over block pairs of (with / without − 1): the same figure, robust to a load spike in one block. */
    medianPairOverhead,
    /** The snapshot's own time and, per step, what it adds (its mean / snapshotEvery / the step time without). */
    snapshot: { meanSeconds: snapshotMean, perStepShare: snapshotMean / every / withoutMean, reads: snapshotRead },
    target: 0.05,
    sameLosses,
  };
  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, 'lightpeft-live-node.json');
  const json = JSON.stringify(report, null, 2);
  writeFileSync(file, json + '\n');
  console.log(json);
  console.error(
    `mean step: ${withMean.toFixed(4)} s with snapshots, ${withoutMean.toFixed(4)} s without: overhead ${(overhead * 100).toFixed(2)}% (median of pairs ${(medianPairOverhead * 100).toFixed(2)}%; target < 5%); ` +
      `snapshot ${(snapshotMean * 1000).toFixed(1)} ms (${snapshotRead.tensors} tensors, ${snapshotRead.values} values); same losses: ${sameLosses}`,
  );
  console.error(`wrote ${file}`);
  if (!sameLosses) process.exitCode = 1;
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
