/**
 * Soak: a Light-PEFT run of 2000 steps on a tiny model, driven as the worker drives one: a loss
 * read-back every 10 steps, an evaluation every 200, a mask snapshot every 50 estimation steps, a
 * checkpoint's capture every 100 steps, the automatic prune at step 800, then LoRA training of the
 * pruned model. After each phase's warm-up nothing may grow:
 *
 * - the GPU pool: bytes allocated and in use, and its buffers, exactly the same at every sample;
 * - GPU buffers outside the pool: no read-back staging buffer left, uniform chunks bounded;
 * - the JS heap: the objects still reachable (counted in a heap snapshot) may grow only by the
 *   run's own records (a loss point every 10 steps, a few evaluations). V8's compiled code and its
 *   metadata are left out: they grow for the first thousand or so steps as the JIT tiers up, and
 *   then stop. heapUsed after a full collection, JIT included, gets a looser bound.
 */
import { describe, expect, it } from 'vitest';
import { getHeapSnapshot, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { gpuContext } from './helpers';
import { makeFruitExamples, randomWeights, tinyTokenizer } from './synthetic';
import { parseModelConfig } from '../src/engine/model/config';
import { buildModel } from '../src/engine/model/build';
import { LightPeftRun } from '../src/engine/lightpeft/run';
import { DEFAULT_RATIOS } from '../src/shared/pruning-plan';
import { BufferUsage } from '../src/gpu/buffers';
import type { GpuContext } from '../src/gpu/context';
import type { TrainSettings } from '../src/engine/train/trainer';

const ESTIMATION_STEPS = 800;
const TRAINING_STEPS = 1200;
const SAMPLE_EVERY = 50;
const CHECKPOINT_EVERY = 100;
const SNAPSHOT_EVERY = 50;

/**
 * Each phase's flat window, in global steps: from after its first evaluations and checkpoints
 * (and, in estimation, once the scores accumulate, from step 401) to its last step.
 */
const WINDOWS = [
  { phase: 'estimating', from: 500, to: ESTIMATION_STEPS },
  { phase: 'training', from: ESTIMATION_STEPS + 300, to: ESTIMATION_STEPS + TRAINING_STEPS },
] as const;

/**
 * Bytes of reachable JS objects a window may gain: a fixed slack plus so much a step. The run's own
 * records take 15–30 bytes a step (a loss point of ~150 bytes every 10 steps, an evaluation every
 * 200, this test's samples): 9 KB over steps 500–800, 14 KB over 1100–2000. Keeping anything per
 * step goes past the limit: a `{ step, tokens }` object in an array adds ~74 bytes a step, the
 * step's tokenized batch ~1.7 KB (both measured by leaking them on purpose in TrainingRun.runSteps).
 */
const OBJECT_GROWTH_SLACK = 8 * 1024;
const OBJECT_GROWTH_PER_STEP = 40;
/** heapUsed after a full collection, V8's code included (it tiers up for the first ~1000 steps: ~0.5 MB here). */
const HEAP_GROWTH_LIMIT = 1536 * 1024;

/** A full garbage collection (vitest's forks do not get --expose-gc: V8 exposes it on request). */
function collector(): () => void {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (exposed) return exposed;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/** Counts the GPU buffers of a device that exist (created and not destroyed), by usage. */
function trackBuffers(device: GPUDevice) {
  const live = new Map<GPUBuffer, number>();
  const create = device.createBuffer.bind(device);
  device.createBuffer = (descriptor: GPUBufferDescriptor) => {
    const buffer = create(descriptor);
    live.set(buffer, descriptor.usage);
    const destroy = buffer.destroy.bind(buffer);
    buffer.destroy = () => {
      live.delete(buffer);
      destroy();
    };
    return buffer;
  };
  const count = (usage: number) => [...live.values()].filter((u) => (u & usage) !== 0).length;
  return {
    /** The pool's buffers (tensors), in use or free. */
    storage: () => count(BufferUsage.STORAGE),
    /** Uniform chunks: kept and reused, never destroyed; as many as the work in flight needs. */
    uniform: () => count(BufferUsage.UNIFORM),
    /** Read-back staging buffers: each is destroyed after its read. */
    staging: () => count(BufferUsage.MAP_READ),
  };
}

/** Node types of a heap snapshot that are V8's own (compiled code, maps, internal metadata), not the program's objects. */
const V8_INTERNAL = new Set(['code', 'hidden', 'object shape', 'synthetic']);

/** Bytes and count of the program's reachable objects (a heap snapshot collects garbage first). */
async function reachableObjects(): Promise<{ bytes: number; count: number }> {
  const chunks: Buffer[] = [];
  for await (const chunk of getHeapSnapshot()) chunks.push(chunk as Buffer);
  const snapshot = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
    snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
    nodes: number[];
  };
  const fields = snapshot.snapshot.meta.node_fields;
  const [typeAt, sizeAt] = [fields.indexOf('type'), fields.indexOf('self_size')];
  const types = snapshot.snapshot.meta.node_types[0];
  let bytes = 0;
  let count = 0;
  for (let i = 0; i < snapshot.nodes.length; i += fields.length) {
    if (V8_INTERNAL.has(types[snapshot.nodes[i + typeAt]])) continue;
    bytes += snapshot.nodes[i + sizeAt];
    count++;
  }
  return { bytes, count };
}

interface Sample {
  step: number;
  phase: string;
  allocatedBytes: number;
  inUseBytes: number;
  poolBuffers: number;
  uniformChunks: number;
  stagingBuffers: number;
  heapUsed: number;
  objects?: { bytes: number; count: number };
}

const tokenizer = tinyTokenizer();
// One layer of three heads, LoRA on query and value: the prune (a third of the heads and of the
// FFN dimensions, 3/4 of the LoRA modules, half of the remaining ranks) changes every shape.
const config = parseModelConfig({
  model_type: 'roberta', vocab_size: tokenizer.vocabSize, hidden_size: 12, num_hidden_layers: 1, num_attention_heads: 3,
  intermediate_size: 12, max_position_embeddings: 20, id2label: { 0: 'no fruit', 1: 'fruit' },
});
const data = { train: makeFruitExamples(40, 1), validation: makeFruitExamples(8, 2) };

function settings(steps: number): TrainSettings {
  return {
    steps, batchSize: 4, maxLength: 12, seed: 3, lr: 0.005, warmupRatio: 0.06, weightDecay: 0.01, maskLrMultiplier: 1,
    lambdaHead: 1e-3, lambdaFfn: 1e-3, dropout: true, logEvery: 10, maxGradNorm: 1, evalEvery: 200,
  };
}

describe('a long Light-PEFT run', () => {
  it('keeps GPU bytes, GPU buffers and the JS heap flat after warm-up, before and after the prune', async () => {
    const gc = collector();
    const ctx: GpuContext = await gpuContext();
    const buffers = trackBuffers(ctx.device);
    const model = await buildModel(ctx, {
      config, weights: randomWeights(config), trainMasks: false, seed: 1,
      peft: { kind: 'lora', rank: 4, alpha: 8, dropout: 0.05, targets: ['query', 'value'] },
    });
    const run = new LightPeftRun(model, tokenizer, data, { estimation: settings(ESTIMATION_STEPS), training: settings(TRAINING_STEPS), ratios: DEFAULT_RATIOS });
    const samples: Sample[] = [];
    let snapshots = 0;
    let checkpoints = 0;
    const sample = async (step: number) => {
      await ctx.sync();
      gc();
      const s: Sample = {
        step, phase: run.phase,
        allocatedBytes: ctx.pool.allocatedBytes, inUseBytes: ctx.pool.inUseBytes,
        poolBuffers: buffers.storage(), uniformChunks: buffers.uniform(), stagingBuffers: buffers.staging(),
        heapUsed: process.memoryUsage().heapUsed,
      };
      if (WINDOWS.some((w) => w.from === step || w.to === step)) s.objects = await reachableObjects();
      samples.push(s);
    };
    const hooks = {
      onStep: async ({ step }: { step: number }) => {
        if (run.phase === 'estimating' && run.estimation.step % SNAPSHOT_EVERY === 0) {
          await run.snapshot();
          snapshots++;
        }
        if (step % CHECKPOINT_EVERY === 0) {
          structuredClone(await run.captureState()); // as IndexedDB would keep it; then dropped
          checkpoints++;
        }
        if (step % SAMPLE_EVERY === 0) await sample(step);
      },
    };
    while (run.phase !== 'done') await run.runSteps(Infinity, hooks);

    expect(run.step).toBe(ESTIMATION_STEPS + TRAINING_STEPS);
    expect(checkpoints).toBe((ESTIMATION_STEPS + TRAINING_STEPS) / CHECKPOINT_EVERY);
    expect(snapshots).toBe(ESTIMATION_STEPS / SNAPSHOT_EVERY);
    const { counts } = run.prunedWith!.plan;
    expect([counts.heads.pruned, counts.ffn.pruned]).toEqual([1, 4]);
    // The windows' ends (every sample's figures are in the assertion messages when one fails).
    const report = samples.filter((s) => s.objects).map(({ objects, ...s }) => ({ ...s, heapUsed: `${(s.heapUsed / 2 ** 20).toFixed(2)} MiB`, objects: `${objects!.count} / ${(objects!.bytes / 1024).toFixed(1)} KiB` }));
    console.table(report);

    for (const window of WINDOWS) {
      const inWindow = samples.filter((s) => s.step >= window.from && s.step <= window.to);
      const [first, last] = [inWindow[0], inWindow.at(-1)!];
      expect([first.step, last.step, first.phase]).toEqual([window.from, window.to, window.phase]);
      const pool = (s: Sample) => ({ allocatedBytes: s.allocatedBytes, inUseBytes: s.inUseBytes, poolBuffers: s.poolBuffers });
      for (const s of inWindow) expect(pool(s), `GPU pool at step ${s.step} (${window.phase})`).toEqual(pool(first));
      for (const s of inWindow) expect(s.stagingBuffers, `read-back staging buffers left at step ${s.step}`).toBe(0);
      for (const s of inWindow) expect(s.uniformChunks, `uniform chunks at step ${s.step}`).toBeLessThanOrEqual(2 * first.uniformChunks);
      const objectGrowth = last.objects!.bytes - first.objects!.bytes;
      const objectLimit = OBJECT_GROWTH_SLACK + OBJECT_GROWTH_PER_STEP * (window.to - window.from);
      expect(objectGrowth, `reachable JS objects grew by ${objectGrowth} bytes (${last.objects!.count - first.objects!.count} objects) over steps ${window.from}–${window.to}`).toBeLessThan(objectLimit);
      const heapGrowth = last.heapUsed - first.heapUsed;
      expect(heapGrowth, `heapUsed grew by ${heapGrowth} bytes over steps ${window.from}–${window.to}`).toBeLessThan(HEAP_GROWTH_LIMIT);
    }
    // The prune freed memory: the second phase's pool is smaller.
    expect(samples.at(-1)!.allocatedBytes).toBeLessThan(samples.find((s) => s.step === ESTIMATION_STEPS)!.allocatedBytes);
    run.dispose();
    model.dispose();
    // 2000 steps: about 35 s alone on 2 CPU cores, 80–120 s beside the suite's other worker
    // compiling its matmul pipelines; the default 120 s left it no margin.
  }, 360_000);
});
