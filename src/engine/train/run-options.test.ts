import { describe, expect, it } from 'vitest';
import { engineSettingsOf, lightPeftSettingsOf, type TrainOptions } from './run-options';
import { BASELINE_SCHEDULE, LIGHT_PEFT_DEFAULTS } from './defaults';

const PLAIN: TrainOptions = {
  method: { kind: 'lora', rank: 8, alpha: 16, targets: ['query', 'value'] },
  steps: 30,
  batchSize: 8,
  lr: 3e-3,
  maxLength: 32,
  seed: 7,
  dropout: true,
  checkpointEvery: 10,
  evalEvery: 0,
};
const LIGHT = { ...PLAIN, lightPeft: { estimateSteps: 20, lambdaHead: 0.01, lambdaFfn: 0.02, ratios: LIGHT_PEFT_DEFAULTS.ratios, snapshotEvery: 2 } };

describe('the engine settings of the app’s options', () => {
  it('trains a plain run on the baseline schedule, without L1', () => {
    expect(engineSettingsOf(PLAIN)).toMatchObject({ steps: 30, lr: 3e-3, warmupRatio: BASELINE_SCHEDULE.warmupRatio, weightDecay: BASELINE_SCHEDULE.weightDecay, lambdaHead: 0, lambdaFfn: 0, logEvery: 5 });
  });

  it('gives Light-PEFT an estimation run with the λ and its budget, and the pruned model train.sh’s schedule', () => {
    const { estimation, training, ratios } = lightPeftSettingsOf(LIGHT);
    const phase = LIGHT_PEFT_DEFAULTS.estimation;
    expect(estimation).toMatchObject({ steps: 20, lr: 3e-3, warmupRatio: phase.warmupRatio, weightDecay: phase.weightDecay, lambdaHead: 0.01, lambdaFfn: 0.02, maskLrMultiplier: LIGHT_PEFT_DEFAULTS.maskLrMultiplier, batchSize: 8, maxLength: 32, seed: 7 });
    expect(training).toMatchObject({ steps: 30, warmupRatio: LIGHT_PEFT_DEFAULTS.training.warmupRatio, weightDecay: LIGHT_PEFT_DEFAULTS.training.weightDecay, lambdaHead: 0, lambdaFfn: 0 });
    expect(ratios).toBe(LIGHT.lightPeft.ratios);
    expect(lightPeftSettingsOf({ ...LIGHT, lightPeft: { ...LIGHT.lightPeft, maskLrMultiplier: 10 } }).estimation.maskLrMultiplier).toBe(10);
  });
});
