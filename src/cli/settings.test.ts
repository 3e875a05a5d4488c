/** One rule per setting, two wordings: the app's sentence and the CLI's option message say the same range. */
import { describe, expect, it } from 'vitest';
import { checkLoraTargets, checkSetting, SettingError } from '../engine/train/checks';
import { settingOption } from './args';
import { checkTrainOptions, type TrainOptions } from '../engine/train/run-options';

const appMessage = (check: () => void) => {
  try {
    check();
  } catch (e) {
    expect(e).toBeInstanceOf(SettingError);
    return (e as Error).message;
  }
  return 'accepted';
};
const cliMessage = (values: Record<string, string>, check: (v: Record<string, string>) => number) => {
  try {
    return check(values);
  } catch (e) {
    return (e as Error).message;
  }
};

describe('setting rules', () => {
  it('word the same rule for the app and for the CLI', () => {
    expect(appMessage(() => checkSetting('batchSize', 0))).toBe('The batch size must be a whole number from 1 to 1024, got 0.');
    expect(cliMessage({ 'batch-size': '0' }, (v) => settingOption(v, 'batchSize', 32))).toBe('--batch-size must be a whole number from 1 to 1024, got "0"');
    expect(appMessage(() => checkSetting('steps', 2_000_000))).toBe('Steps must be a whole number from 1 to 1,000,000, got 2000000.');
    expect(cliMessage({ steps: '1.5' }, (v) => settingOption(v, 'steps', 1))).toBe('--steps must be a whole number from 1 to 1,000,000, got "1.5"');
    const limits = { maxTokens: 38, hidden: 32 };
    expect(appMessage(() => checkSetting('maxLength', 64, limits))).toBe("Max length must be a whole number from 3 to 38 (the longest input this model's position table allows), got 64.");
    expect(cliMessage({ 'max-length': '64' }, (v) => settingOption(v, 'maxLength', 128, limits))).toBe(
      `--max-length must be a whole number from 3 to 38 (the longest input this model's position table allows), got "64"`,
    );
    expect(appMessage(() => checkSetting('maxLength', 4, { ...limits, pairs: true }))).toMatch(/from 6 to 38/);
    expect(appMessage(() => checkSetting('loraRank', 33, limits))).toBe('The LoRA rank r must be a whole number from 1 to 32 (the hidden size), got 33.');
    expect(cliMessage({ 'head-ratio': '1.5' }, (v) => settingOption(v, 'headRatio', 0.3))).toBe('--head-ratio must be a number from 0 to 1, got "1.5"');
    expect(cliMessage({}, (v) => settingOption(v, 'lambdaHead', 1e-4))).toBe(1e-4);
  });

  it('accept the edges of each range', () => {
    expect(checkSetting('batchSize', 1024)).toBe(1024);
    expect(checkSetting('evalEvery', 0)).toBe(0);
    expect(appMessage(() => checkSetting('lr', 1))).toBe('The learning rate must be a number above 0 and below 1 (e.g. 3e-4), got 1.');
    expect(appMessage(() => checkSetting('warmupRatio', 1))).toBe('The warm-up ratio must be a number from 0 to below 1, got 1.');
    expect(checkSetting('warmupRatio', 0)).toBe(0);
  });

  it('check LoRA targets and a whole set of app options', () => {
    expect(appMessage(() => checkLoraTargets([]))).toMatch(/^Choose at least one LoRA target: query, key/);
    expect(appMessage(() => checkLoraTargets(['query', 'dense']))).toMatch(/^Unknown LoRA target "dense"/);
    const options: TrainOptions = { method: { kind: 'adapter', size: 129 }, steps: 10, batchSize: 4, lr: 1e-3, maxLength: 16, seed: 1, dropout: true, checkpointEvery: 5, evalEvery: 0 };
    expect(appMessage(() => checkTrainOptions(options, { maxTokens: 64, hidden: 32 }))).toBe('The adapter size must be a whole number from 1 to 128, got 129.');
    expect(appMessage(() => checkTrainOptions({ ...options, seed: 0.5 }, { maxTokens: 64, hidden: 32 }))).toBe('The seed must be a whole number, got 0.5.');
    expect(appMessage(() => checkTrainOptions({ ...options, method: { kind: 'adapter', size: 8 } }, { maxTokens: 64, hidden: 32 }))).toBe('accepted');
  });
});
