/**
 * The options a person chooses for a fine-tuning run in the app, their checks, and what the
 * engine makes of them: the PEFT configuration and the training settings, defaults filled in.
 */
import type { LoraTarget, PeftConfig } from '../model/peft';
import { ADAPTER_DEFAULTS, BASELINE_SCHEDULE, LIGHT_PEFT_DEFAULTS, LORA_DEFAULTS, NON_FINITE_DEFAULTS, TRAINING_DEFAULTS } from './defaults';
import { checkLoraTargets, checkSetting, SettingError, type ModelLimits } from './checks';
import { NON_FINITE_POLICIES, type NonFinitePolicy, type TrainSettings } from './trainer';
import type { PlanRatios } from '../../shared/pruning';

/** The PEFT method a run trains. */
export type TrainMethod = { kind: 'lora'; rank: number; alpha: number; targets: LoraTarget[] } | { kind: 'adapter'; size: number };

/**
 * Light-PEFT on top of the method's PEFT modules: an estimation run of `estimateSteps` (masks
 * under L1, scores), a prune at `ratios`, then `TrainOptions.steps` steps training the pruned model.
 */
export interface LightPeftOptions {
  estimateSteps: number;
  lambdaHead: number;
  lambdaFfn: number;
  ratios: PlanRatios;
  /** The masks and scores are read back for the live view every this many steps (training is the same either way). */
  snapshotEvery: number;
  /** The masks' learning rate is the run's times this (absent: the scripts' 1). */
  maskLrMultiplier?: number;
}

/** What the Train form sends. */
export interface TrainOptions {
  method: TrainMethod;
  steps: number;
  batchSize: number;
  lr: number;
  maxLength: number;
  seed: number;
  /** Dropout as config.json says and on the PEFT modules (true), or none at all. */
  dropout: boolean;
  /** A checkpoint goes to IndexedDB every this many steps (and on stop and at the end). */
  checkpointEvery: number;
  /** The validation set is evaluated every this many steps; 0: only at the end (which it always is). */
  evalEvery: number;
  /** Light-PEFT (`steps` is then the pruned model's budget); null or absent: the plain method (the baseline). */
  lightPeft?: LightPeftOptions | null;
  /** A NaN or infinite loss or gradient: stop, or roll back at a lower learning rate (absent: NON_FINITE_DEFAULTS.policy). */
  onNonFinite?: NonFinitePolicy;
}

/** Refuses an option outside its range with a SettingError naming it, what it accepts and what it got. */
export function checkTrainOptions(options: TrainOptions, limits: ModelLimits): void {
  checkSetting('steps', options.steps);
  checkSetting('batchSize', options.batchSize);
  checkSetting('lr', options.lr);
  checkSetting('maxLength', options.maxLength, limits);
  checkSetting('seed', options.seed);
  checkSetting('checkpointEvery', options.checkpointEvery);
  checkSetting('evalEvery', options.evalEvery);
  if (options.onNonFinite !== undefined && !NON_FINITE_POLICIES.includes(options.onNonFinite)) {
    throw new SettingError(`On NaN the run can ${NON_FINITE_POLICIES.map((p) => `"${p}"`).join(' or ')}, not ${JSON.stringify(options.onNonFinite)}.`);
  }
  const lp = options.lightPeft;
  if (lp) {
    checkSetting('estimateSteps', lp.estimateSteps);
    checkSetting('lambdaHead', lp.lambdaHead);
    checkSetting('lambdaFfn', lp.lambdaFfn);
    checkSetting('headRatio', lp.ratios.head);
    checkSetting('ffnRatio', lp.ratios.ffn);
    checkSetting('moduleRatio', lp.ratios.module);
    checkSetting('rankRatio', lp.ratios.rank);
    checkSetting('snapshotEvery', lp.snapshotEvery);
    if (lp.maskLrMultiplier !== undefined) checkSetting('maskLrMultiplier', lp.maskLrMultiplier);
    for (const [name, scope] of [['head', lp.ratios.headScope], ['FFN', lp.ratios.ffnScope]] as const) {
      if (scope !== 'layer' && scope !== 'global') throw new SettingError(`The ${name} pruning scope must be "layer" or "global", not ${JSON.stringify(scope)}.`);
    }
  }
  const method = options.method;
  if (method.kind === 'lora') {
    checkSetting('loraRank', method.rank, limits);
    checkSetting('loraAlpha', method.alpha);
    checkLoraTargets(method.targets);
  } else {
    checkSetting('adapterSize', method.size, limits);
  }
}

/** The PEFT configuration of a method, with the methods' default dropout (none when `dropout` is off). */
export function peftOf(method: TrainMethod, dropout: boolean): PeftConfig {
  return method.kind === 'lora'
    ? { kind: 'lora', rank: method.rank, alpha: method.alpha, targets: [...method.targets], dropout: dropout ? LORA_DEFAULTS.dropout : 0 }
    : { kind: 'adapter', size: method.size, activation: ADAPTER_DEFAULTS.activation, dropout: dropout ? ADAPTER_DEFAULTS.dropout : 0 };
}

/**
 * The engine's settings of an app run with the chosen options: the baseline's schedule
 * (vanilla_train.sh), or for Light-PEFT the pruned model's (train.sh: no warm-up, no weight decay).
 */
export function engineSettingsOf(options: TrainOptions): TrainSettings {
  const schedule = options.lightPeft ? LIGHT_PEFT_DEFAULTS.training : BASELINE_SCHEDULE;
  return {
    steps: options.steps,
    batchSize: options.batchSize,
    maxLength: options.maxLength,
    seed: options.seed,
    lr: options.lr,
    warmupRatio: schedule.warmupRatio,
    weightDecay: schedule.weightDecay,
    maskLrMultiplier: LIGHT_PEFT_DEFAULTS.maskLrMultiplier,
    lambdaHead: 0,
    lambdaFfn: 0,
    dropout: options.dropout,
    logEvery: logEveryFor(options.checkpointEvery),
    maxGradNorm: TRAINING_DEFAULTS.maxGradNorm,
    evalEvery: options.evalEvery,
    onNonFinite: options.onNonFinite ?? NON_FINITE_DEFAULTS.policy,
  };
}

/**
 * A Light-PEFT run's two phases from the app's options: the estimation run (estimate.sh's schedule,
 * the chosen λ, `estimateSteps`) and the pruned model's (engineSettingsOf), and the prune's ratios.
 * The same options always give the same settings: a resumed run rebuilds them from its options.
 */
export function lightPeftSettingsOf(options: TrainOptions & { lightPeft: LightPeftOptions }): { estimation: TrainSettings; training: TrainSettings; ratios: PlanRatios } {
  const training = engineSettingsOf(options);
  const lp = options.lightPeft;
  const schedule = LIGHT_PEFT_DEFAULTS.estimation;
  const estimation: TrainSettings = { ...training, steps: lp.estimateSteps, warmupRatio: schedule.warmupRatio, weightDecay: schedule.weightDecay, lambdaHead: lp.lambdaHead, lambdaFfn: lp.lambdaFfn, maskLrMultiplier: lp.maskLrMultiplier ?? LIGHT_PEFT_DEFAULTS.maskLrMultiplier };
  return { estimation, training, ratios: lp.ratios };
}

/**
 * Loss read-backs (each one waits for the GPU): every few steps, on a divisor of the checkpoint
 * interval where there is one, so each checkpoint carries the loss of its own step.
 */
export function logEveryFor(checkpointEvery: number): number {
  for (let n = Math.min(5, checkpointEvery); n >= 2; n--) if (checkpointEvery % n === 0) return n;
  return Math.min(5, checkpointEvery);
}

/** A method in a few words, for run names ("LoRA r=8 q,v", "adapters 8"). */
export function describeMethod(method: TrainMethod, lightPeft?: LightPeftOptions | null): string {
  if (lightPeft) return `Light-PEFT (${describeMethod(method)})`;
  if (method.kind === 'adapter') return `adapters ${method.size}`;
  const short: Record<string, string> = { query: 'q', key: 'k', value: 'v', 'attention.output.dense': 'o', 'intermediate.dense': 'ffn-in', 'output.dense': 'ffn-out' };
  return `LoRA r=${method.rank} ${method.targets.map((t) => short[t] ?? t).join(',')}`;
}
