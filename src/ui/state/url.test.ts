import { describe, expect, it } from 'vitest';
import { decodeLink, encodeLink } from './url';
import { DEFAULT_FORM, DEMO_FORM } from './train';

describe('the settings link', () => {
  it('reopens exactly the form and sources it was made from', () => {
    const form = { ...DEMO_FORM, headRatio: '0.5', ffnScope: 'layer' as const, dropout: false, seed: '7', targets: ['query' as const, 'output.dense' as const] };
    const query = encodeLink(form, { model: { kind: 'hub', modelId: 'FacebookAI/roberta-base@v1' }, data: { kind: 'demo' } });
    const decoded = decodeLink(query);
    expect(decoded.form).toEqual(form);
    expect(decoded.sources).toEqual({ model: { kind: 'hub', modelId: 'FacebookAI/roberta-base@v1' }, data: { kind: 'demo' } });
    expect(decoded.ignored).toEqual([]);
    expect(decodeLink(encodeLink(DEFAULT_FORM, { model: { kind: 'demo' }, data: null }))).toEqual({ form: DEFAULT_FORM, sources: { model: { kind: 'demo' }, data: null }, ignored: [] });
  });

  it('keeps the valid fields of a damaged link and says what it ignored', () => {
    const decoded = decodeLink('method=magic&steps=12&lr=fast&targets=query,bogus&headScope=row&dropout=maybe&model=file:/etc&data=mine&rank=4');
    expect(decoded.form).toEqual({ steps: '12', rank: '4' });
    expect(decoded.sources).toEqual({ model: null, data: null });
    expect(decoded.ignored).toHaveLength(7);
    expect(decoded.ignored.join('\n')).toMatch(/method=magic.*\n?/);
    expect(decoded.ignored.find((l) => l.startsWith('lr='))).toBe('lr=fast: not a number');
    expect(decoded.ignored.find((l) => l.startsWith('targets='))).toContain('unknown layer bogus');
  });

  it('ignores numbers outside what a field takes, and parameters it does not know, each with a note', () => {
    const decoded = decodeLink('steps=-3&seed=2.5&lr=0&headRatio=1.5&lambdaFfn=-1&ffnRatio=0&lambdaHead=0&estimateSteps=40&colour=red');
    expect(decoded.form).toEqual({ ffnRatio: '0', lambdaHead: '0', estimateSteps: '40' });
    expect(decoded.ignored).toEqual([
      'steps=-3: must be a whole number ≥ 0',
      'lr=0: must be a number > 0',
      'seed=2.5: must be a whole number ≥ 0',
      'lambdaFfn=-1: must be a number ≥ 0',
      'headRatio=1.5: must be a share from 0 to 1',
      'colour=red: not a setting this page knows',
    ]);
  });

  it('sets nothing for an empty link', () => {
    expect(decodeLink('')).toEqual({ form: {}, sources: { model: null, data: null }, ignored: [] });
  });
});
