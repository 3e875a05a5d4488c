import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { peftTargetRegex, targetsFromPeftConfig, parseLoraTargets } from './peft';

describe('HF PEFT target_modules', () => {
  it('writes the regex the PyTorch fixtures use', () => {
    const config = JSON.parse(readFileSync(join(__dirname, '../../../test/fixtures/lora-awkward/adapter/adapter_config.json'), 'utf8'));
    expect(peftTargetRegex(['value', 'query', 'intermediate.dense'])).toBe(config.target_modules);
  });

  it('reads back exactly what it writes, for every target set', () => {
    const all = parseLoraTargets('query,key,value,attention.output.dense,intermediate.dense,output.dense');
    for (let mask = 1; mask < 64; mask++) {
      const targets = all.filter((_, i) => mask & (1 << i));
      expect(targetsFromPeftConfig(peftTargetRegex(targets))).toEqual(targets);
    }
  });

  it('matches lists by suffix, as PEFT does', () => {
    expect(targetsFromPeftConfig(['query', 'value'])).toEqual(['query', 'value']);
    expect(targetsFromPeftConfig(['dense'])).toEqual(['attention.output.dense', 'intermediate.dense', 'output.dense']);
    expect(targetsFromPeftConfig(['output.dense'])).toEqual(['attention.output.dense', 'output.dense']);
    expect(targetsFromPeftConfig(['classifier'])).toEqual([]);
    expect(targetsFromPeftConfig(42)).toBeNull();
    expect(targetsFromPeftConfig('(')).toBeNull();
  });
});
