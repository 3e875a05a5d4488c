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
