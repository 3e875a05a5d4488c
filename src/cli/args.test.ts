import { describe, expect, it } from 'vitest';
import { asksForHelp, HelpRequest, integerBetween, numberOption, parseOptions, POSITIVE_INTEGER, RATIO } from './args';
import { UsageError } from './errors';

describe('numberOption', () => {
  it('returns the fallback when the option is absent, and the number when it passes the rule', () => {
    expect(numberOption(undefined, 'batch-size', 32, POSITIVE_INTEGER)).toBe(32);
    expect(numberOption('16', 'batch-size', 32, POSITIVE_INTEGER)).toBe(16);
    expect(numberOption('0.5', 'head-ratio', 1 / 3, RATIO)).toBe(0.5);
  });

  it('says what the option accepts, not merely that the value is wrong', () => {
    const message = (value: string, rule = POSITIVE_INTEGER) => {
      try {
        numberOption(value, 'batch-size', 32, rule);
      } catch (e) {
        expect(e).toBeInstanceOf(UsageError);
        return (e as Error).message;
      }
      return 'accepted';
    };
    expect(message('0')).toBe('--batch-size must be a whole number above 0, got "0"');
    expect(message('2.5')).toBe('--batch-size must be a whole number above 0, got "2.5"');
    expect(message('')).toBe('--batch-size must be a whole number above 0, got ""');
    expect(message('ten')).toBe('--batch-size must be a whole number above 0, got "ten"');
    expect(message('1.5', RATIO)).toBe('--batch-size must be a number from 0 to 1, got "1.5"');
    expect(message('300', integerBetween(1, 299, ', below --steps'))).toBe('--batch-size must be a whole number from 1 to 299, below --steps, got "300"');
  });
});

describe('asksForHelp', () => {
  it('finds --help or -h anywhere before a -- terminator', () => {
    expect(asksForHelp(['--model', 'm', '-h'])).toBe(true);
    expect(asksForHelp(['--help'])).toBe(true);
    expect(asksForHelp(['--model', 'm'])).toBe(false);
    expect(asksForHelp(['--', '--help'])).toBe(false);
    expect(asksForHelp(['--helpful'])).toBe(false);
  });

  it('makes parseOptions throw a HelpRequest carrying the usage, before it checks the other options', () => {
    expect(() => parseOptions(['--bogus', '-h'], { model: { type: 'string' } }, 'x', 'usage of x')).toThrow(HelpRequest);
    let thrown: unknown;
    try {
      parseOptions(['--help'], {}, 'x', 'usage of x');
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(HelpRequest);
    expect((thrown as HelpRequest).usage).toBe('usage of x');
  });
});
