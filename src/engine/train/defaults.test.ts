import { describe, expect, it } from 'vitest';
import { defaultEstimationSteps } from './defaults';

describe('Light-PEFT estimation budget', () => {
  it('is 800 steps, or one epoch of the training set when that is shorter', () => {
    expect(defaultEstimationSteps(200, 16)).toBe(13);
    expect(defaultEstimationSteps(25_600, 32)).toBe(800);
    expect(defaultEstimationSteps(1_000_000, 32)).toBe(800);
    expect(defaultEstimationSteps(1, 32)).toBe(1);
  });
});
