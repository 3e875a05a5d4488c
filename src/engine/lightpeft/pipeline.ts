/**
 * Light-PEFT end to end on one schedule: phase 1 (estimation) trains PEFT modules with head/FFN
 * masks under L1 and sums Importance Ratio and Taylor scores over its second half; the plan
 * picks what to keep; the model is pruned physically; phase 2 trains the pruned model with a
 * fresh optimizer to the end of the budget.
 */
import type { Example } from '../io/datasets';
import type { TextTokenizer } from '../io/tokenizer';
import type { RobertaModel } from '../model/roberta';
import { uploadBatch } from '../model/batch';
import { AdamW } from '../train/optimizer';
import { shuffledBatches, tokenizeBatch } from '../train/batches';
import { defaultOptimizer, train, type EvalLog, type StepLog, type TrainHooks, type TrainSettings } from '../train/trainer';
import { planPruning, type PlanInput, type PlanRatios, type PruningPlan } from './plan';
import { prune } from './prune';
import { readScores } from './scores';

export interface LightPeftSettings extends TrainSettings {
  /** Phase 1 length; `steps` is the whole budget. */
  estimateSteps: number;
  ratios: PlanRatios;
}

export interface PhaseReport {
  steps: number;
  seconds: number;
  stepsPerSecond: number;
  /** Real (non-padding) tokens per second. */
  tokensPerSecond: number;
  peakGpuBytes: number;
  loss: StepLog[];
  /** Validation evaluations during the phase (every `evalEvery` steps). */
  evaluations: EvalLog[];
}

export interface LightPeftResult {
  estimation: PhaseReport;
  training: PhaseReport;
  scores: PlanInput;
  plan: PruningPlan;
  /** Seconds per forward pass of one evaluation-mode batch, measured in this run. */
  inference: { beforeSeconds: number; afterSeconds: number };
  gpuBytes: { beforePrune: number; afterPrune: number };
}

export async function runLightPeft(
  model: RobertaModel,
  tokenizer: TextTokenizer,
  examples: Example[],
  settings: LightPeftSettings,
  onLog: (log: StepLog, phase: 'estimation' | 'training') => void = () => {},
  hooks: Pick<TrainHooks, 'evaluation'> = {},
): Promise<LightPeftResult> {
  const { ctx } = model;
  const estimateSteps = Math.min(settings.estimateSteps, settings.steps);
  const batches = shuffledBatches(examples.length, settings.batchSize, settings.seed);
  const probe = examples.slice(0, settings.batchSize);

  model.trainMasks = true;
  const scoreFrom = Math.floor(estimateSteps / 2);
  ctx.pool.resetPeak();
  const phase1 = await train(model, tokenizer, examples, { ...settings, steps: estimateSteps, scoreFrom }, (l) => onLog(l, 'estimation'), new AdamW(ctx, defaultOptimizer(settings)), {
    offset: 0,
    total: settings.steps,
    batches,
  }, hooks);
  const estimation = phaseReport(phase1, estimateSteps, ctx.pool.peakAllocatedBytes);
  const scores = await readScores(model, estimateSteps - scoreFrom);
  const plan = planPruning(scores, settings.ratios);
  const beforeSeconds = await timeInference(model, tokenizer, probe, settings.maxLength);
  phase1.optimizer.dispose();
  await ctx.sync();
  const beforePrune = ctx.pool.inUseBytes;

  await prune(model, plan);
  ctx.pool.trim();
  const afterPrune = ctx.pool.inUseBytes;
  const afterSeconds = await timeInference(model, tokenizer, probe, settings.maxLength);
  ctx.pool.resetPeak();
  const rest = settings.steps - estimateSteps;
  const phase2 = await train(model, tokenizer, examples, { ...settings, steps: rest, lambdaHead: 0, lambdaFfn: 0, scoreFrom: undefined }, (l) => onLog(l, 'training'), new AdamW(ctx, defaultOptimizer(settings)), {
    offset: estimateSteps,
    total: settings.steps,
    batches,
  }, hooks);
  phase2.optimizer.dispose();
  return {
    estimation,
    training: phaseReport(phase2, rest, ctx.pool.peakAllocatedBytes),
    scores,
    plan,
    inference: { beforeSeconds, afterSeconds },
    gpuBytes: { beforePrune, afterPrune },
  };
}

export function phaseReport(run: { logs: StepLog[]; evals: EvalLog[]; tokens: number }, steps: number, peakGpuBytes: number): PhaseReport {
  const seconds = run.logs.at(-1)?.seconds ?? 0;
  const rate = (n: number) => (seconds > 0 ? n / seconds : 0);
  return { steps, seconds, stepsPerSecond: rate(steps), tokensPerSecond: rate(run.tokens), peakGpuBytes, loss: run.logs, evaluations: run.evals };
}

/** Median of three timed evaluation-mode forwards of one batch (after one warm-up). */
export async function timeInference(model: RobertaModel, tokenizer: TextTokenizer, examples: Example[], maxLength: number): Promise<number> {
  if (examples.length === 0) return 0;
  const batch = uploadBatch(model.ctx, tokenizeBatch(tokenizer, examples, maxLength));
  const times: number[] = [];
  for (let i = 0; i < 4; i++) {
    const start = performance.now();
    const result = model.forward(batch, { forBackward: false });
    await model.ctx.read(result.logits);
    model.release(result);
    if (i > 0) times.push((performance.now() - start) / 1000);
  }
  batch.dispose();
  return times.sort((a, b) => a - b)[1];
}
