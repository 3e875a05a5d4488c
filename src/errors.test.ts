import { describe, expect, it } from 'vitest';
import {
  BadInputError,
  CancelledError,
  DeviceLostError,
  ERROR_NAMES,
  EngineError,
  NotReadyError,
  OutOfMemoryError,
  errorCodeOf,
  errorNameOf,
  toErrorData,
} from './errors';

describe('typed errors', () => {
  it('carry a stable code and the name of that code', () => {
    expect(new NotReadyError('load a model first')).toMatchObject({ code: 'NOT_READY', name: 'NotReadyError', message: 'load a model first' });
    expect(new CancelledError('Cancelled; nothing was kept.')).toMatchObject({ code: 'CANCELLED', name: 'CancelledError' });
    expect(new DeviceLostError('destroyed', '')).toMatchObject({ code: 'DEVICE_LOST', name: 'DeviceLostError' });
    expect(new NotReadyError('x')).toBeInstanceOf(EngineError);
  });

  it('take their name from their code, not their class, which a minifier may rename', () => {
    const renamed = { r: class extends EngineError { static override readonly code = 'SETTING' } }.r;
    expect(renamed.name).toBe('r');
    expect(new renamed('x')).toMatchObject({ code: 'SETTING', name: 'SettingError' });
  });

  it('give every code its own name', () => {
    const names = Object.values(ERROR_NAMES);
    expect(new Set(names).size).toBe(names.length);
  });

  it('keep their messages', () => {
    expect(new OutOfMemoryError('a [8,128] tensor', 3 * 1024 * 1024, 1536).message).toBe(
      'The GPU ran out of memory allocating a [8,128] tensor (3.00 MiB; 1.50 KiB already in use). Try a smaller batch size, a shorter max length or a smaller model.',
    );
    expect(new BadInputError('data.csv', 'line 4', 'the label is empty').message).toBe('data.csv (line 4): the label is empty');
    expect(new BadInputError('config.json', null, 'not JSON').message).toBe('config.json: not JSON');
  });

  it('an EngineError subclass without a code of its own is ENGINE and keeps its class name', () => {
    class PluginError extends EngineError {}
    expect(new PluginError('x')).toMatchObject({ code: 'ENGINE', name: 'PluginError' });
  });
});

describe('errors as data', () => {
  it('a bad input keeps its file, place and reason', () => {
    expect(toErrorData(new BadInputError('data.csv', 'line 4', 'the label is empty'))).toEqual({
      code: 'BAD_INPUT',
      message: 'data.csv (line 4): the label is empty',
      file: 'data.csv',
      where: 'line 4',
      why: 'the label is empty',
    });
  });

  it('anything untyped is INTERNAL and keeps its own name for the bug report', () => {
    const data = toErrorData(new TypeError('x is undefined'));
    expect(data).toEqual({ code: 'INTERNAL', message: 'x is undefined', name: 'TypeError' });
    expect(errorNameOf(data)).toBe('TypeError');
    expect(toErrorData('a string')).toEqual({ code: 'INTERNAL', message: 'a string', name: 'Error' });
  });

  it('a code that is not ours (a Node errno) is INTERNAL', () => {
    expect(errorCodeOf(Object.assign(new Error('no such file'), { code: 'ENOENT' }))).toBe('INTERNAL');
    expect(errorCodeOf(null)).toBe('INTERNAL');
    expect(errorNameOf({ code: 'SETTING' })).toBe('SettingError');
  });
});
