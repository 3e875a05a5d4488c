/**
 * Our LoRA baseline training step against the same step in PyTorch on the same CPU (issue 11): how
 * far the software WebGPU adapter (SwiftShader) is from torch on the hardware underneath it.
 *
 * The step: RoBERTa for sequence classification, LoRA r/α of LORA_DEFAULTS on its targets (query,
 * value), frozen base, no dropout (evaluation mode), forward + loss + backward + AdamW (the
 * baseline's lr and weight decay, no clipping) + reading the loss; `forwardMs` is one inference
 * forward reading the logits. Both engines start from the same weights (our random checkpoint and
 * our LoRA/head initialisation, handed to torch as safetensors) and the same synthetic batch, and
 * the steps alternate ours / torch's (tools/bench/torch_step.py --serve, a child process), warm-up
 * first, median of --runs. Every step's loss and the final logits are compared, so neither side
 * times wrong work.
 *
 *   node --import tsx bench/torch-step.ts [--runs N]   4 layers × 256 hidden, 4 heads, FFN 1024, vocab 8000, batch 8 × 64
 *   node --import tsx bench/torch-step.ts --full        roberta-base: 12 × 768, batch 32 × 128
 * --full is for a machine with more cores: on the 2-core machine it was written on, torch alone took
 * 15 s a step at that shape and ours would take an estimated ~15 min (≈220× the quick shape's work),
 * so it was not run there. The timings are wall-clock on a CPU other processes may share: run it
 * under `flock /tmp/heavy.lock` where others measure too.
 * Needs /usr/bin/python3 with torch (Debian's python3-torch; TORCH_PYTHON overrides the path).
 * Writes bench/results/torch-step.json.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { GpuContext } from '../src/gpu/context';
import { acquireNodeGpu } from '../src/platform/node/gpu';
import { parseModelConfig, type ModelConfig } from '../src/engine/model/config';
import { randomWeightTensors } from '../src/engine/model/random-weights';
import { WeightSource } from '../src/engine/model/weights';
import { writeSafetensors } from '../src/engine/io/safetensors';
import { buildModel } from '../src/engine/model/build';
import { uploadBatch, type HostBatch } from '../src/engine/model/batch';
import { exportPeftAdapter } from '../src/engine/export/export';
import { gradientStep } from '../src/engine/train/step';
import { AdamW, defaultOptimizer } from '../src/engine/train/optimizer';
import { BASELINE_SCHEDULE, LORA_DEFAULTS } from '../src/engine/train/defaults';
import { mulberry32 } from '../src/engine/random';
import { parseBenchArgs } from './args';
import { BENCH_MODEL_SHAPES } from './model-shapes';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const resultsDir = join(root, 'bench', 'results');
const TORCH_SCRIPT = join(root, 'tools', 'bench', 'torch_step.py');
const PYTHON = process.env.TORCH_PYTHON ?? '/usr/bin/python3';


/** Agreement limits: both run float32, summing in different orders. */
const LOSS_REL_TOLERANCE = 1e-3;
const LOGITS_ABS_TOLERANCE = 1e-3;

async function main(): Promise<void> {
  // The quick shape unless --full (parseBenchArgs's own default is the full one outside CI).
  const { quick, runs } = parseBenchArgs(process.argv.slice(2), { CI: '1' });
  const shape = quick ? BENCH_MODEL_SHAPES.quick : BENCH_MODEL_SHAPES.full;
  const config = parseModelConfig({ model_type: 'roberta', max_position_embeddings: shape.seqLen + 2, hidden_dropout_prob: 0, attention_probs_dropout_prob: 0, ...shape.config });
  const threads = cpus().length;
  console.error(`Training step vs PyTorch: ${config.layers} layers × ${config.hidden} hidden, batch ${shape.batch} × ${shape.seqLen}, LoRA r=${LORA_DEFAULTS.rank} α=${LORA_DEFAULTS.alpha} on ${LORA_DEFAULTS.targets.join(',')}, median of ${runs}, alternated`);

  const ctx = new GpuContext(await acquireNodeGpu());
  const inputs = mkdtempSync(join(tmpdir(), 'torch-step-'));
  let torch: TorchProcess | null = null;
  try {
    // One set of weights and one batch for both engines.
    const baseBytes = writeSafetensors(randomWeightTensors(config));
    const model = await buildModel(ctx, {
      config,
      weights: WeightSource.fromBytes([{ bytes: baseBytes, file: 'random.safetensors' }]),
      peft: { kind: 'lora', rank: LORA_DEFAULTS.rank, alpha: LORA_DEFAULTS.alpha, dropout: 0, targets: LORA_DEFAULTS.targets },
      trainMasks: false,
      seed: 1,
    });
    const host = syntheticBatch(config, shape);
    const batch = uploadBatch(ctx, host);
    writeFileSync(join(inputs, 'base.safetensors'), baseBytes);
    const adapter = (await exportPeftAdapter(model)).find((f) => f.name === 'adapter_model.safetensors');
    if (!adapter) throw new Error('exportPeftAdapter wrote no adapter_model.safetensors');
    writeFileSync(join(inputs, 'adapter_model.safetensors'), adapter.bytes);
    writeFileSync(join(inputs, 'batch.json'), JSON.stringify({ input_ids: host.inputIds, attention_mask: host.attentionMask, labels: host.labels }));

    torch = await TorchProcess.start([
      ...['--layers', config.layers, '--hidden', config.hidden, '--heads', config.heads, '--intermediate', config.intermediate, '--vocab', config.vocabSize, '--labels', config.numLabels],
      ...['--batch', shape.batch, '--seq-len', shape.seqLen, '--rank', LORA_DEFAULTS.rank, '--alpha', LORA_DEFAULTS.alpha, '--targets', LORA_DEFAULTS.targets.join(',')],
      ...['--lr', BASELINE_SCHEDULE.lr, '--weight-decay', BASELINE_SCHEDULE.weightDecay, '--threads', threads, '--inputs', inputs, '--serve'],
    ].map(String));
    console.error(`torch ${torch.about.torch}, ${torch.about.threads} threads, BLAS ${torch.about.blas.join(' ')}, OMP_WAIT_POLICY=${torch.about.ompWaitPolicy}`);

    const optimizer = new AdamW(ctx, defaultOptimizer({ lr: BASELINE_SCHEDULE.lr, weightDecay: BASELINE_SCHEDULE.weightDecay, maskLrMultiplier: 1 }));
    const ourStep = async (): Promise<{ ms: number; loss: number }> => {
      const start = performance.now();
      const step = gradientStep(model, batch, { lambdaHead: 0, lambdaFfn: 0 });
      optimizer.update(model.trainableParams());
      const loss = (await ctx.read(step.totalLoss))[0];
      step.release();
      return { ms: performance.now() - start, loss };
    };
    const ourForward = async (): Promise<{ ms: number; logits: Float32Array }> => {
      const start = performance.now();
      const result = model.forward(batch, { forBackward: false });
      const logits = await ctx.read(result.logits);
      model.release(result);
      return { ms: performance.now() - start, logits };
    };

    // Training steps, alternated; the first pair warms up (pipelines, optimizer state, torch's allocator).
    const steps = { ours: [] as number[], torch: [] as number[] };
    const losses = { ours: [] as number[], torch: [] as number[] };
    for (let i = 0; i <= runs; i++) {
      const ours = await ourStep();
      const theirs = await torch.step();
      losses.ours.push(ours.loss);
      losses.torch.push(theirs.loss);
      if (i === 0) continue;
      steps.ours.push(ours.ms);
      steps.torch.push(theirs.ms);
      console.error(`step ${i}: ours ${ours.ms.toFixed(0)} ms, torch ${theirs.ms.toFixed(1)} ms (loss ${ours.loss.toFixed(5)} / ${theirs.loss.toFixed(5)})`);
    }
    optimizer.dispose();

    const forwards = { ours: [] as number[], torch: [] as number[] };
    let logits: { ours: Float32Array; torch: number[] } = { ours: new Float32Array(0), torch: [] };
    for (let i = 0; i <= runs; i++) {
      const ours = await ourForward();
      const theirs = await torch.forward();
      logits = { ours: ours.logits, torch: theirs.logits };
      if (i === 0) continue;
      forwards.ours.push(ours.ms);
      forwards.torch.push(theirs.ms);
    }
    batch.dispose();

    const lossMaxRelDiff = Math.max(...losses.ours.map((l, i) => Math.abs(l - losses.torch[i]) / Math.max(Math.abs(losses.torch[i]), 1e-6)));
    if (logits.ours.length !== logits.torch.length) throw new Error(`logits: ours has ${logits.ours.length} values, torch ${logits.torch.length}`);
    const logitsMaxAbsDiff = Math.max(...Array.from(logits.ours, (v, i) => Math.abs(v - logits.torch[i])));
    const ours = { runtime: 'node', adapter: describeAdapter(ctx), stepMs: median(steps.ours), forwardMs: median(forwards.ours) };
    const theirs = { version: torch.about.torch, threads: torch.about.threads, blas: torch.about.blas, ompWaitPolicy: torch.about.ompWaitPolicy, stepMs: median(steps.torch), forwardMs: median(forwards.torch) };
    const cpuList = cpus();
    const report = {
      date: new Date().toISOString(),
      cpu: { model: cpuList[0]?.model ?? 'unknown', cores: cpuList.length },
      shape: { layers: config.layers, hidden: config.hidden, heads: config.heads, intermediate: config.intermediate, vocab: config.vocabSize, batch: shape.batch, seqLen: shape.seqLen },
      peft: { kind: 'lora', rank: LORA_DEFAULTS.rank, alpha: LORA_DEFAULTS.alpha, targets: LORA_DEFAULTS.targets, dropout: 0 },
      runs,
      torch: theirs,
      ours,
      torchSpeedupOverOurs: ours.stepMs / theirs.stepMs,
      torchForwardSpeedupOverOurs: ours.forwardMs / theirs.forwardMs,
      agreement: { lossMaxRelDiff, logitsMaxAbsDiff, losses },
      command: `node --import tsx bench/torch-step.ts${quick ? '' : ' --full'} --runs ${runs}`,
    };
    mkdirSync(resultsDir, { recursive: true });
    const file = join(resultsDir, 'torch-step.json');
    const json = JSON.stringify(report, null, 2);
    writeFileSync(file, json + '\n');
    console.log(json);
    console.error(`training step: ours ${ours.stepMs.toFixed(0)} ms (${ours.adapter}), torch ${theirs.stepMs.toFixed(1)} ms on ${theirs.threads} threads: torch ${report.torchSpeedupOverOurs.toFixed(1)}× faster`);
    console.error(`forward:       ours ${ours.forwardMs.toFixed(0)} ms, torch ${theirs.forwardMs.toFixed(1)} ms: torch ${report.torchForwardSpeedupOverOurs.toFixed(1)}× faster`);
    console.error(`agreement: losses within ${lossMaxRelDiff.toExponential(1)} (relative) over ${losses.ours.length} steps, final logits within ${logitsMaxAbsDiff.toExponential(1)}`);
    console.error(`wrote ${file}`);
    if (!(lossMaxRelDiff <= LOSS_REL_TOLERANCE) || !(logitsMaxAbsDiff <= LOGITS_ABS_TOLERANCE)) {
      throw new Error(`the two engines disagree (loss ${lossMaxRelDiff}, logits ${logitsMaxAbsDiff}): the timings compare different work`);
    }
  } finally {
    await torch?.quit();
    rmSync(inputs, { recursive: true, force: true });
    ctx.destroy();
  }
}

/** tools/bench/torch_step.py --serve: one JSON line per command, timed inside Python (no pipe time). */
class TorchProcess {
  private readonly lines: AsyncIterator<string>;

  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    readonly about: { torch: string; threads: number; blas: string[]; ompWaitPolicy: string },
    lines: AsyncIterator<string>,
  ) {
    this.lines = lines;
  }

  static async start(args: string[]): Promise<TorchProcess> {
    const child = spawn(PYTHON, [TORCH_SCRIPT, ...args], { stdio: ['pipe', 'pipe', 'inherit'] }) as unknown as ChildProcessWithoutNullStreams;
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const first = await TorchProcess.next(lines, child);
    if (first.ready !== true) throw new Error(`${TORCH_SCRIPT} did not start: ${JSON.stringify(first)}`);
    return new TorchProcess(child, first as unknown as TorchProcess['about'], lines);
  }

  private static async next(lines: AsyncIterator<string>, child: ChildProcessWithoutNullStreams): Promise<Record<string, unknown>> {
    const line = await lines.next();
    if (line.done) throw new Error(`${TORCH_SCRIPT} exited (code ${child.exitCode}); its stderr is above`);
    const reply = JSON.parse(line.value) as Record<string, unknown>;
    if (typeof reply.error === 'string') throw new Error(`${TORCH_SCRIPT}: ${reply.error}`);
    return reply;
  }

  private async ask(command: string): Promise<Record<string, unknown>> {
    this.child.stdin.write(command + '\n');
    return TorchProcess.next(this.lines, this.child);
  }

  async step(): Promise<{ ms: number; loss: number }> {
    return (await this.ask('step')) as { ms: number; loss: number };
  }

  async forward(): Promise<{ ms: number; logits: number[] }> {
    return (await this.ask('forward')) as { ms: number; logits: number[] };
  }

  async quit(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.stdin.end('quit\n');
    await exited;
  }
}

function describeAdapter(ctx: GpuContext): string {
  const { vendor, architecture, device, description } = ctx.gpu.adapterInfo;
  const text = [vendor, architecture, device, description].filter(Boolean).join(' / ');
  return ctx.gpu.isFallbackAdapter ? `${text} (fallback adapter)` : text;
}

/** Random tokens between <s> and </s>, no padding, labels alternating: what bench/lightpeft.ts feeds too. */
function syntheticBatch(config: ModelConfig, shape: { batch: number; seqLen: number }): HostBatch {
  const random = mulberry32(11);
  const row = () => [0, ...Array.from({ length: shape.seqLen - 2 }, () => 3 + Math.floor(random() * (config.vocabSize - 4))), 2];
  const inputIds = Array.from({ length: shape.batch }, row);
  return { inputIds, attentionMask: inputIds.map((r) => r.map(() => 1)), labels: inputIds.map((_, i) => i % config.numLabels) };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
