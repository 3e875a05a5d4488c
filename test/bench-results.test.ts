import { describe, expect, it } from 'vitest';
import { DEFAULT_RATIOS } from '../src/shared/pruning-plan';
import {
  benchResults,
  lightPeftVsLora,
  matmulVsTfjs,
  resultsMarkdown,
  targetChecks,
  type DemoAccuracy,
  type LightPeftBench,
  type MatmulTfjsBench,
} from '../bench/results-summary';

const memory = { train: { baseWeights: 1, trainableWeights: 0, gradients: 0, optimizerState: 0, otherPersistent: 0, activations: 0, poolSlack: 0 }, inference: {} };
const halves = { ...DEFAULT_RATIOS, head: 0.5, ffn: 0.5 };
const lightPeft: LightPeftBench = {
  date: '2026-12-05T00:00:00Z',
  quick: true,
  runs: 5,
  shape: { layers: 4, hidden: 256, heads: 4, intermediate: 1024, vocab: 8000, batch: 8, seqLen: 64 },
  results: [
    { name: 'baseline', ratios: null, trainStepMs: 200, peakTrainBytes: 100, inferenceMs: 90, inferenceBytes: 40, memory },
    { name: 'defaults', ratios: DEFAULT_RATIOS, trainStepMs: 160, peakTrainBytes: 80, inferenceMs: 60, inferenceBytes: 36, memory },
    { name: 'halves', ratios: halves, trainStepMs: 100, peakTrainBytes: 60, inferenceMs: 45, inferenceBytes: 30, memory },
  ],
};
const demo = (ratios: typeof halves, accuracyDifference: number) => ({
  ratios, accuracyDifference, lora: { accuracy: 0.93 }, lightPeft: { accuracy: 0.93 + accuracyDifference }, steps: 150, batch: 16, maxLength: 48, date: '2026-12-05',
});

describe('bench results summary', () => {
  it('states speedups as baseline time / ours and reductions as 1 − ours / baseline', () => {
    const r = lightPeftVsLora(lightPeft, null);
    const [defaults, h] = r.configurations;
    expect(defaults.train_step_speedup).toBe(1.25);
    expect(h.train_step_speedup).toBe(2);
    expect(h.train_peak_bytes_reduction).toBe(0.4);
    expect(h.infer_speedup).toBe(2);
    expect(h.infer_bytes_reduction).toBe(0.25);
    expect(h.accuracy_delta).toBeNull();
    expect('train_step_speedup' in r).toBe(false); // no headline without a measured accuracy
  });

  it('also states the byte reductions with the host word table counted on both sides, as the paper measures', () => {
    const withTable = { ...memory, inference: { hostWordTable: 20 } };
    const bench = { ...lightPeft, results: lightPeft.results.map((m) => ({ ...m, memory: withTable })) };
    const r = lightPeftVsLora(bench, null);
    // halves: train 1 − (60 + 20) / (100 + 20), inference 1 − (30 + 20) / (40 + 20)
    expect(r.configurations[1].table_on_gpu).toEqual({ train_peak_bytes_reduction: 0.333, infer_bytes_reduction: 0.167 });
    expect(r.configurations[1].infer_bytes_reduction).toBe(0.25);
    expect(lightPeftVsLora(lightPeft, null).configurations[1].table_on_gpu).toBeNull(); // a report from before the move
    const md = resultsMarkdown(benchResults({ machine: { cpu: 'cpu', cores: 2, memoryGiB: 8, os: 'linux', node: 'v22' }, lightPeft: bench, lightPeftRobertaBase: null, demoAccuracy: null, matmulTfjs: null, inferTransformersJs: null, torchStep: null }, '2026-12-06', {}));
    expect(md).toContain('halves: 33% and 17%');
  });

  it('states how far each speedup moves between interleaved rounds, from each round\'s paired times', () => {
    const rounds = (train: number[], inference: number[]) => ({ trainStepSamplesMs: train, inferenceSamplesMs: inference });
    const [baseline, defaults, h] = lightPeft.results;
    const bench: LightPeftBench = {
      ...lightPeft,
      runs: 3,
      results: [
        { ...baseline, ...rounds([200, 300, 180], [90, 100, 80]) },
        { ...defaults, ...rounds([160, 200, 150], [60, 50, 80]) },
        { ...h, ...rounds([100, 100, 120], [45, 50, 40]) },
      ],
    };
    const r = lightPeftVsLora(bench, null);
    // halves, round by round: train 200/100, 300/100, 180/120; inference 90/45, 100/50, 80/40
    expect(r.configurations[1].by_round).toEqual({ train_step_speedup: [1.5, 3], infer_speedup: [2, 2] });
    expect(r.configurations[0].by_round).toEqual({ train_step_speedup: [1.2, 1.5], infer_speedup: [1, 2] });
    expect(r.configurations[1].train_step_speedup).toBe(2); // the medians' ratio stays the figure
    expect(lightPeftVsLora(lightPeft, null).configurations[1].by_round).toBeNull(); // not timed in rounds
    const oneRound = { ...bench, results: bench.results.map((m) => ({ ...m, ...rounds([m.trainStepMs], [m.inferenceMs]) })) };
    expect(lightPeftVsLora(oneRound, null).configurations[1].by_round).toBeNull();
    const md = resultsMarkdown(benchResults({ machine: { cpu: 'cpu', cores: 2, memoryGiB: 8, os: 'linux', node: 'v22' }, lightPeft: bench, lightPeftRobertaBase: bench, demoAccuracy: null, matmulTfjs: null, inferTransformersJs: null, torchStep: null }, '2026-12-06', {}));
    expect(md).toContain('| halves | 2.00× faster (1.50–3.00 by round) | 40% lower | 2.00× faster (2.00–2.00 by round) |');
    expect(md.match(/timed in 3 interleaved rounds/g)).toHaveLength(2); // the quick and the roberta-base tables
  });

  it('headlines the fastest ratios whose demo accuracy stays within 1 point', () => {
    const within: DemoAccuracy = { command: 'sh tools/demo/compare-methods.sh', runs: [demo(DEFAULT_RATIOS, -0.008), demo(halves, -0.006)] };
    expect(lightPeftVsLora(lightPeft, within)).toMatchObject({ ratios: halves, train_step_speedup: 2, accuracy_delta: -0.006 });
    const halvesTooLossy: DemoAccuracy = { ...within, runs: [demo(DEFAULT_RATIOS, -0.008), demo(halves, -0.02)] };
    expect(lightPeftVsLora(lightPeft, halvesTooLossy)).toMatchObject({ ratios: DEFAULT_RATIOS, train_step_speedup: 1.25 });
  });

  it('takes the smallest matmul speedup over every shape and layout as the one to meet', () => {
    const mm: MatmulTfjsBench = {
      browser: 'chromium', date: '', quick: false, adapter: { vendor: 'google', architecture: 'swiftshader', description: '' },
      results: [
        { shape: 'a', layout: 'NN', oursGflops: 3, tfjsGflops: 0.5, speedup: 6 },
        { shape: 'a', layout: 'NT', oursGflops: 3, tfjsGflops: 0.3, speedup: 10 },
      ],
    };
    expect(matmulVsTfjs(mm).speedup).toMatchObject({ min: 6, max: 10, NN: { min: 6, max: 6 }, NT: { min: 10, max: 10 } });
    const summary = benchResults(
      { machine: { cpu: 'cpu', cores: 2, memoryGiB: 24, os: 'linux', node: 'v20' }, lightPeft, lightPeftRobertaBase: null, demoAccuracy: null, matmulTfjs: mm, inferTransformersJs: null, torchStep: null },
      '2026-12-05T00:00:00Z',
      {},
    );
    expect(summary.missing).toEqual(['roberta_base', 'infer_vs_transformersjs', 'step_vs_pytorch']);
    const matmulTarget = targetChecks(summary).find((t) => t.target.startsWith('matmul'))!;
    expect(matmulTarget).toMatchObject({ measured: '6.00×', met: false });
    const page = resultsMarkdown(summary);
    expect(page).toContain('| halves | 2.00× faster | 40% lower | 2.00× faster | 25% lower | not measured |');
    expect(page).toContain('Not measured in this run: roberta_base, infer_vs_transformersjs, step_vs_pytorch.');
  });

  it('keeps a part from the earlier results when its report is absent, only if measured on this kind of machine', () => {
    const machine = { cpu: 'cpu', cores: 2, memoryGiB: 24, os: 'linux', node: 'v20' };
    const inputs = { machine, lightPeft, lightPeftRobertaBase: null, demoAccuracy: null, matmulTfjs: null, inferTransformersJs: null, torchStep: null };
    const earlierTorch = { torch_speedup_over_ours: 24.5, step_ms: { ours: 2019.8, torch: 82.4 }, forward_ms: { ours: 909.9, torch: 40.6 }, torch: '1.13, 2 threads', shape: {}, date: '2026-12-01T10:00:00Z' };
    const earlier = { machine: { ...machine, os: 'linux 6.1' }, step_vs_pytorch: earlierTorch, matmul_vs_tfjs: null };
    const summary = benchResults(inputs, '2026-12-06T00:00:00Z', {}, earlier);
    expect(summary.step_vs_pytorch).toEqual(earlierTorch);
    expect(summary.kept).toEqual([{ part: 'step_vs_pytorch', date: '2026-12-01T10:00:00Z' }]);
    expect(summary.missing).toEqual(['roberta_base', 'matmul_vs_tfjs', 'infer_vs_transformersjs']);
    const page = resultsMarkdown(summary);
    expect(page).toContain('Kept from earlier runs on this kind of machine (their reports were not rerun): step_vs_pytorch (2026-12-01).');
    expect(page).toContain('torch is 24.5× faster');
    // A report of this run wins over the earlier figures; another machine's figures are not kept.
    const fresh = benchResults({ ...inputs, lightPeft: { ...lightPeft, date: 'now' } }, '2026-12-06', {}, { machine, lightpeft_vs_lora: { date: 'then' } });
    expect(fresh.lightpeft_vs_lora?.date).toBe('now');
    const elsewhere = benchResults(inputs, '2026-12-06', {}, { ...earlier, machine: { ...machine, cores: 16 } });
    expect(elsewhere.step_vs_pytorch).toBeNull();
    expect(elsewhere.kept).toEqual([]);
    expect(elsewhere.missing).toContain('step_vs_pytorch');
  });

  it('tables what the inference peak is made of, beside the training peak', () => {
    const split = (activations: number) => ({ baseWeights: 2 ** 20, trainableWeights: 2 ** 19, gradients: 0, optimizerState: 0, otherPersistent: 0, activations, poolSlack: 3 * 2 ** 19 });
    const bench = { ...lightPeft, results: lightPeft.results.map((m, i) => ({ ...m, memory: { train: memory.train, inference: split(2 ** 21 / (i + 1)) } })) };
    const page = resultsMarkdown(benchResults({ machine: { cpu: 'cpu', cores: 2, memoryGiB: 8, os: 'linux', node: 'v22' }, lightPeft: bench, lightPeftRobertaBase: null, demoAccuracy: null, matmulTfjs: null, inferTransformersJs: null, torchStep: null }, '2026-12-06', {}));
    expect(page).toContain('What the inference peak is made of (MiB):\n\n| | base weights | trainable weights | other | activations | pool slack |');
    expect(page).toContain('| baseline | 1.0 | 0.5 | 0.0 | 2.0 | 1.5 |');
    expect(page).toContain('| halves | 1.0 | 0.5 | 0.0 | 0.7 | 1.5 |');
  });

  it('tables where the GPU time goes for the baseline and the headline ratios, small kernels summed', () => {
    const kernels = (matmulMs: number) => {
      const total = matmulMs + 11.2;
      return [
        { name: 'matmul', ms: matmulMs, dispatches: 40, share: matmulMs / total },
        { name: 'attention', ms: 10, dispatches: 8, share: 10 / total },
        { name: 'layernorm', ms: 0.8, dispatches: 8, share: 0.8 / total },
        { name: 'adamw', ms: 0.4, dispatches: 2, share: 0.4 / total },
      ];
    };
    const within: DemoAccuracy = { command: 'sh tools/demo/compare-methods.sh', runs: [demo(DEFAULT_RATIOS, -0.008), demo(halves, -0.006)] };
    const profiles = [{ train: kernels(88.8), inference: kernels(38.8) }, { train: kernels(58.8), inference: kernels(28.8) }, { train: kernels(28.8), inference: kernels(13.8) }];
    const bench = { ...lightPeft, results: lightPeft.results.map((m, i) => ({ ...m, profile: profiles[i] })) };
    const summary = benchResults({ machine: { cpu: 'cpu', cores: 2, memoryGiB: 8, os: 'linux', node: 'v22' }, lightPeft: bench, lightPeftRobertaBase: null, demoAccuracy: within, matmulTfjs: null, inferTransformersJs: null, torchStep: null }, '2026-12-06', {});
    expect(summary.lightpeft_vs_lora?.baseline.profile?.train[0]).toEqual({ name: 'matmul', ms: 88.8, dispatches: 40, share: 0.888 });
    const page = resultsMarkdown(summary);
    // Columns: the baseline and the headline (halves), training step then forward; rows: kernels of ≥ 3% somewhere.
    expect(page).toContain('| kernel | baseline, train step | halves, train step | baseline, forward | halves, forward |');
    expect(page).toContain('| matmul | 88.8 ms (89%) | 28.8 ms (72%) | 38.8 ms (78%) | 13.8 ms (55%) |');
    expect(page).toContain('| attention | 10.0 ms (10%) | 10.0 ms (25%) | 10.0 ms (20%) | 10.0 ms (40%) |');
    // LayerNorm takes 3.2% of the headline's forward, so it has a row; AdamW (at most 1.6%) does not.
    expect(page).toContain('| layernorm | 0.8 ms (1%) | 0.8 ms (2%) | 0.8 ms (2%) | 0.8 ms (3%) |');
    expect(page).toContain('| other kernels | 0.4 ms (0%) | 0.4 ms (1%) | 0.4 ms (1%) | 0.4 ms (2%) |');
    expect(page).toContain('| total | 100.0 ms (100%) | 40.0 ms (100%) | 50.0 ms (100%) | 25.0 ms (100%) |');
    expect(page).not.toContain('| adamw |');
    expect(resultsMarkdown(benchResults({ machine: { cpu: 'cpu', cores: 2, memoryGiB: 8, os: 'linux', node: 'v22' }, lightPeft, lightPeftRobertaBase: null, demoAccuracy: null, matmulTfjs: null, inferTransformersJs: null, torchStep: null }, '2026-12-06', {}))).not.toContain('Where the GPU time goes');
  });

  it('checks the speed and memory targets at the roberta-base shape too, at the headline ratios', () => {
    const within: DemoAccuracy = { command: 'sh tools/demo/compare-methods.sh', runs: [demo(DEFAULT_RATIOS, -0.008), demo(halves, -0.006)] };
    const robertaBase: LightPeftBench = {
      ...lightPeft,
      quick: false,
      shape: { ...lightPeft.shape, layers: 12, hidden: 768, batch: 2, seqLen: 128 },
      runs: 1,
      results: [lightPeft.results[0], { ...lightPeft.results[1], peakTrainBytes: 40 }, { ...lightPeft.results[2], trainStepMs: 125, peakTrainBytes: 50, inferenceMs: 60, inferenceBytes: 19 }],
    };
    const summary = benchResults(
      { machine: { cpu: 'cpu', cores: 2, memoryGiB: 24, os: 'linux', node: 'v20' }, lightPeft, lightPeftRobertaBase: robertaBase, demoAccuracy: within, matmulTfjs: null, inferTransformersJs: null, torchStep: null },
      '2026-12-05T00:00:00Z',
      {},
    );
    const rows = targetChecks(summary).filter((t) => t.target.includes('roberta-base shape (batch 2 × 128)'));
    // The headline is halves (fastest within 1 point): its roberta-base figures, not the defaults'.
    expect(rows).toEqual([
      { target: 'Light-PEFT training step ≥ 1.8× the LoRA baseline, roberta-base shape (batch 2 × 128)', measured: '1.60×', met: false },
      { target: 'Light-PEFT peak training bytes ≥ 45% lower, roberta-base shape (batch 2 × 128)', measured: '50%', met: true },
      { target: 'Light-PEFT inference ≥ 1.8× faster, roberta-base shape (batch 2 × 128)', measured: '1.50×', met: false },
      { target: 'Light-PEFT inference bytes ≥ 50% lower, roberta-base shape (batch 2 × 128)', measured: '53%', met: true },
    ]);
    const page = resultsMarkdown(summary);
    expect(page).toContain('at the roberta-base shape (Node, 12 layers × 768 hidden, 4 heads, FFN 1024, vocab 8000, batch 2 × 128, one timed step and one timed forward each)');
    expect(page).toContain('| halves | 1.60× faster | 50% lower | 1.50× faster | 53% lower |');
  });
});
