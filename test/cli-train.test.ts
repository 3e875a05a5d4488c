/** `light-peft train` end to end on a tiny random model folder and a CSV: report, curves, adapter; and its errors. */
import { describe, expect, it } from 'vitest';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Papa from 'papaparse';
import { makeFruitExamples, randomWeightTensors } from './synthetic';
import { cli } from './cli';
import { parseModelConfig } from '../src/engine/model/config';
import { writeSafetensors } from '../src/engine/io/safetensors';

const TOKENIZER = join(__dirname, 'fixtures', 'tokenizer-tiny');

function modelFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tiny-model-'));
  const tokenizer = JSON.parse(readFileSync(join(TOKENIZER, 'tokenizer.json'), 'utf8'));
  const vocab = Object.keys(tokenizer.model.vocab).length + tokenizer.added_tokens.filter((t: { content: string }) => !(t.content in tokenizer.model.vocab)).length;
  const configJson = { model_type: 'roberta', vocab_size: vocab, hidden_size: 32, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 64, max_position_embeddings: 40, hidden_dropout_prob: 0, attention_probs_dropout_prob: 0 };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(configJson));
  writeFileSync(join(dir, 'model.safetensors'), writeSafetensors(randomWeightTensors(parseModelConfig(configJson))));
  for (const f of ['tokenizer.json', 'tokenizer_config.json']) copyFileSync(join(TOKENIZER, f), join(dir, f));
  return dir;
}

function csv(dir: string, name: string, n: number, seed: number): string {
  const rows = makeFruitExamples(n, seed).map((e) => ({ sentence: e.text, category: e.label ? 'fruit' : 'plain' }));
  const path = join(dir, name);
  writeFileSync(path, Papa.unparse(rows));
  return path;
}

describe('light-peft train', () => {
  it('fine-tunes, evaluates and writes report.json, curves.csv and an HF PEFT adapter', async () => {
    const model = modelFolder();
    const work = mkdtempSync(join(tmpdir(), 'train-'));
    const out = join(work, 'out');
    const r = await cli([
      'train', '--model', model, '--data', csv(work, 'train.csv', 200, 1), '--eval-data', csv(work, 'val.csv', 60, 2),
      '--lora-targets', 'query,value,intermediate.dense', '--lora-r', '4', '--steps', '100', '--batch-size', '16', '--lr', '5e-3',
      '--max-length', '24', '--log-every', '25', '--eval-every', '40', '--out', out,
    ]);
    expect(r.stderr).not.toContain('internal error');
    expect(r.code).toBe(0);
    // Before it trains, what it will need on the GPU (the estimate's accuracy: test/memory-estimate.test.ts).
    expect(r.stderr).toMatch(/^GPU memory: about [\d.]+ (KiB|MiB) at the peak \(weights .*, activations .*, training state .*\)$/m);
    expect(r.stdout).toMatch(/validation accuracy \d+\.\d%, macro-F1 [\d.]+, MCC [-\d.]+ on 60 examples/);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(report.data.columns).toEqual({ text: 'sentence', textPair: null, label: 'category' });
    expect(report.data.labels).toEqual(['fruit', 'plain']);
    // LoRA r=4 on query, value (32→32) and intermediate.dense (32→64), 2 layers; head 32·32+32 + 32·2+2.
    expect(report.parameters).toMatchObject({ peft: 2 * 4 * (64 + 64 + 96), trainable: 2 * 4 * (64 + 64 + 96) + 1122 });
    expect(report.training.loss.map((l: { step: number }) => l.step)).toEqual([25, 50, 75, 100]);
    expect(report.evaluation.accuracy).toBeGreaterThan(0.75);
    expect(report.training.peakGpuBytes).toBeGreaterThan(0);
    expect(report.training.tokensPerSecond).toBeGreaterThan(report.training.stepsPerSecond);
    const curves = readFileSync(join(out, 'curves.csv'), 'utf8').trim().split('\n');
    expect(curves[0]).toBe('step,loss,lr,grad_norm,seconds');
    expect(curves[1].split(',')[3]).toBe(String(report.training.loss[0].gradNorm)); // clipping at 1.0 by default logs the norm
    expect(report.training.loss.every((l: { gradNorm: number }) => l.gradNorm > 0)).toBe(true);
    // Evaluations every 40 steps, and the final one.
    expect(report.evaluations.map((e: { step: number }) => e.step)).toEqual([40, 80, 100]);
    expect(report.training.evaluations.map((e: { step: number }) => e.step)).toEqual([40, 80]); // the final one is not a phase's
    expect(report.evaluations.every((e: { count: number; loss: number }) => e.count === 60 && e.loss > 0)).toBe(true);
    expect(r.stderr).toMatch(/evaluation at step 40: loss [\d.]+, accuracy [\d.]+%/);
    const evaluations = readFileSync(join(out, 'evaluations.csv'), 'utf8').trim().split('\n');
    expect(evaluations[0]).toBe('step,loss,accuracy,macro_f1,mcc');
    expect(evaluations.slice(1).map((row) => row.split(',')[0])).toEqual(['40', '80', '100']);
    const adapterConfig = JSON.parse(readFileSync(join(out, 'adapter', 'adapter_config.json'), 'utf8'));
    expect(adapterConfig).toMatchObject({ peft_type: 'LORA', r: 4, modules_to_save: ['classifier'] });
    expect(existsSync(join(out, 'adapter', 'adapter_model.safetensors'))).toBe(true);

    // The exported adapter (with its label names) evaluates to the same accuracy.
    const e = await cli(['eval', '--model', model, '--adapter', join(out, 'adapter'), '--data', join(work, 'val.csv'), '--max-length', '24']);
    expect(e.stderr).toBe('');
    const evaluation = JSON.parse(e.stdout);
    expect(evaluation.labels).toEqual(['fruit', 'plain']);
    expect(evaluation.accuracy).toBe(report.evaluation.accuracy);
    expect(evaluation.count).toBe(60);
  });

  it('runs Light-PEFT: estimate, plan, prune, train; writes scores that re-plan to the same plan', async () => {
    const model = modelFolder();
    const work = mkdtempSync(join(tmpdir(), 'lightpeft-'));
    const out = join(work, 'out');
    const r = await cli([
      'train', '--model', model, '--data', csv(work, 'train.csv', 200, 1), '--eval-data', csv(work, 'val.csv', 60, 2),
      '--method', 'light-peft', '--lora-r', '4', '--steps', '40', '--estimate-steps', '20', '--batch-size', '16', '--lr', '5e-3',
      '--lambda-head', '0.01', '--lambda-ffn', '0.01', '--mask-lr-multiplier', '5', '--max-length', '24', '--log-every', '10', '--eval-every', '15', '--out', out,
    ]);
    expect(r.stderr).not.toContain('internal error');
    expect(r.code).toBe(0);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(report.estimation.steps).toBe(20);
    expect(report.estimation.tokensPerSecond).toBeGreaterThan(0);
    expect(report.training.steps).toBe(40);
    expect(report.estimation.evaluations.map((e: { step: number }) => e.step)).toEqual([15]);
    expect(report.training.evaluations.map((e: { step: number }) => e.step)).toEqual([30, 45]);
    expect(report.evaluations.map((e: { step: number }) => e.step)).toEqual([15, 30, 45, 60]);
    expect(report.training.loss.at(-1).step).toBe(60);
    // Two runs, each with its own schedule: --steps is the pruned model's budget; lr starts again from the peak.
    const schedule = { lr: 5e-3, warmupRatio: 0, weightDecay: 0 };
    expect(report.phases).toEqual({ estimation: { steps: 20, ...schedule }, training: { steps: 40, ...schedule } });
    const rows = readFileSync(join(out, 'curves.csv'), 'utf8').trim().split('\n');
    expect(rows[0]).toBe('step,loss,lr,grad_norm,seconds,phase');
    const points = rows.slice(1).map((row) => row.split(','));
    expect(points.map((p) => [Number(p[0]), p[5]])).toEqual([[10, 'estimation'], [20, 'estimation'], [30, 'training'], [40, 'training'], [50, 'training'], [60, 'training']]);
    expect(Number(points[1][2])).toBeCloseTo((5e-3 * 1) / 20, 12); // the estimation's last step
    expect(Number(points[2][2])).toBeCloseTo((5e-3 * 31) / 40, 12); // step 10 of 40 after pruning
    const { plan, parameters, inference } = report.lightPeft;
    // Defaults: 1 of 4 heads per layer, round(128/3) = 43 FFN dims, 75% of 12 modules, half the ranks left.
    expect(plan.counts.heads).toEqual({ before: 8, pruned: 2 });
    expect(plan.counts.ffn).toEqual({ before: 128, pruned: 43 });
    expect(plan.counts.modules.before).toBe(12);
    expect(plan.keptModules.length).toBeLessThanOrEqual(3);
    expect(parameters.base.after).toBeLessThan(parameters.base.before);
    expect(parameters.trainable.after).toBeLessThan(parameters.trainable.before);
    expect(parameters.peft.after).toBeLessThan(parameters.peft.before);
    expect(parameters.peft.before).toBe(report.parameters.peft);
    expect(inference.afterSeconds).toBeGreaterThan(0);
    expect(report.evaluation.accuracy).toBeGreaterThan(0.5);
    const adapterConfig = JSON.parse(readFileSync(join(out, 'adapter', 'adapter_config.json'), 'utf8'));
    expect(Object.keys(adapterConfig.rank_pattern).length + plan.keptModules.filter((m: { keptRanks: number[] }) => m.keptRanks.length === adapterConfig.r).length).toBe(plan.keptModules.length);

    // The pruned model and its adapter evaluate to the accuracy the run reported.
    const pruning = JSON.parse(readFileSync(join(out, 'pruned-model', 'pruning.json'), 'utf8'));
    expect(pruning.counts).toEqual(plan.counts);
    const e = await cli(['eval', '--model', join(out, 'pruned-model'), '--adapter', join(out, 'adapter'), '--data', join(work, 'val.csv'), '--max-length', '24']);
    expect(e.stderr).toBe('');
    expect(JSON.parse(e.stdout).accuracy).toBe(report.evaluation.accuracy);

    const replanned = await cli(['plan', '--scores', join(out, 'scores.safetensors')]);
    expect(replanned.code).toBe(0);
    const again = JSON.parse(replanned.stdout);
    expect({ keptHeads: again.keptHeads, keptFfn: again.keptFfn, keptModules: again.keptModules }).toEqual({ keptHeads: plan.keptHeads, keptFfn: plan.keptFfn, keptModules: plan.keptModules });
    const half = JSON.parse((await cli(['plan', '--scores', join(out, 'scores.safetensors'), '--head-ratio', '0.5', '--ffn-ratio', '0.5'])).stdout);
    expect(half.counts.heads.pruned).toBe(4);
    expect(half.counts.ffn.pruned).toBe(64);
  });

  it('runs Light-PEFT on bottleneck adapters: prunes adapters and units, and the pruned model reloads to the same accuracy', async () => {
    const model = modelFolder();
    const work = mkdtempSync(join(tmpdir(), 'lightpeft-adapter-'));
    const out = join(work, 'out');
    const r = await cli([
      'train', '--model', model, '--data', csv(work, 'train.csv', 120, 3), '--eval-data', csv(work, 'val.csv', 40, 4),
      '--method', 'light-peft', '--peft', 'adapter', '--adapter-size', '6', '--steps', '12', '--estimate-steps', '12', '--batch-size', '16',
      '--lr', '5e-3', '--max-length', '24', '--log-every', '6', '--max-grad-norm', '0', '--out', out,
    ]);
    expect(r.stderr).not.toContain('internal error');
    expect(r.code).toBe(0);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    const { plan, parameters } = report.lightPeft;
    // Two adapters per layer (after attention and after the FFN): 4 in all, 75% dropped → 1 kept; then half of
    // its 6 units. Rank counts cover every module: 24 units, 18 gone with their modules + 3.
    expect(plan.counts.modules).toEqual({ before: 4, pruned: 3 });
    expect(plan.counts.ranks).toEqual({ before: 24, pruned: 21 });
    expect(plan.keptModules).toHaveLength(1);
    expect(plan.keptModules[0].keptRanks).toHaveLength(3);
    // --max-grad-norm 0: no clipping, so no gradient norm is logged.
    expect(report.settings.maxGradNorm).toBe(0);
    const curves = readFileSync(join(out, 'curves.csv'), 'utf8').trim().split('\n').slice(1);
    expect(curves.map((row) => row.split(',')[3])).toEqual(['', '', '', '']);
    expect(parameters.peft.after).toBeLessThan(parameters.peft.before);
    const e = await cli(['eval', '--model', join(out, 'pruned-model'), '--adapter', join(out, 'adapter'), '--data', join(work, 'val.csv'), '--max-length', '24']);
    expect(e.stderr).toBe('');
    expect(JSON.parse(e.stdout).accuracy).toBe(report.evaluation.accuracy);
  });

  it('names a missing label column and suggests the closest one', async () => {
    const model = modelFolder();
    const work = mkdtempSync(join(tmpdir(), 'train-bad-'));
    const r = await cli(['train', '--model', model, '--data', csv(work, 'train.csv', 20, 1), '--label-column', 'categroy', '--steps', '1', '--out', join(work, 'o')]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/train\.csv.*categroy.*category/);
  });

  it('rejects an unknown method', async () => {
    const r = await cli(['train', '--model', 'm', '--data', 'd.csv', '--out', 'o', '--method', 'magic']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe('light-peft: train: unknown --method "magic"; methods: lora, light-peft');
  });
});
