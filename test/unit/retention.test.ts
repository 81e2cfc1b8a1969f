import { describe, it, expect } from 'vitest';
import { OptionRangeError, OptionTypeError } from '../../src/errors.js';
import {
  DEFAULT_REMOVE_ON_COMPLETE,
  DEFAULT_REMOVE_ON_FAIL,
  encodeRetention,
  resolveRetention,
} from '../../src/retention.js';
import { catchError } from './catch-error.js';

describe('resolveRetention', () => {
  it('removes a job at once for true', () => {
    expect(resolveRetention('removeOnComplete', true)).toEqual({ count: 0, age: -1 });
  });

  it('keeps every job for false', () => {
    expect(resolveRetention('removeOnComplete', false)).toEqual({ count: -1, age: -1 });
  });

  it('keeps that many of the most recent jobs for a number', () => {
    expect(resolveRetention('removeOnComplete', 100)).toEqual({ count: 100, age: -1 });
    expect(resolveRetention('removeOnComplete', 0)).toEqual({ count: 0, age: -1 });
  });

  it('keeps both limits of an { age, count } object', () => {
    expect(resolveRetention('removeOnFail', { age: 3600, count: 50 })).toEqual({
      count: 50,
      age: 3600,
    });
  });

  it('leaves a limit an object omits unbounded', () => {
    expect(resolveRetention('removeOnFail', { age: 60 })).toEqual({ count: -1, age: 60 });
    expect(resolveRetention('removeOnFail', { count: 5 })).toEqual({ count: 5, age: -1 });
    expect(resolveRetention('removeOnFail', {})).toEqual({ count: -1, age: -1 });
  });

  it('returns frozen values', () => {
    for (const value of [true, false, 3, { age: 1 }]) {
      expect(Object.isFrozen(resolveRetention('r', value))).toBe(true);
    }
  });

  it('keeps finished jobs bounded by default', () => {
    expect(DEFAULT_REMOVE_ON_COMPLETE).toEqual({ count: 1000, age: 86_400 });
    expect(DEFAULT_REMOVE_ON_FAIL).toEqual({ count: 10_000, age: 604_800 });
  });

  it.each([
    [
      'a negative count',
      -1,
      OptionRangeError,
      'Expected `removeOnComplete` to be an integer >= 0, got `-1` (number)',
    ],
    [
      'a fractional count',
      2.5,
      OptionRangeError,
      'Expected `removeOnComplete` to be an integer >= 0, got `2.5` (number)',
    ],
    [
      'NaN',
      NaN,
      OptionRangeError,
      'Expected `removeOnComplete` to be an integer >= 0, got `NaN` (number)',
    ],
    [
      'Infinity',
      Infinity,
      OptionRangeError,
      'Expected `removeOnComplete` to be an integer >= 0, got `Infinity` (number)',
    ],
    [
      'a string',
      '10',
      OptionTypeError,
      'Expected `removeOnComplete` to be `true`, `false`, a count, or `{ age, count }`, got `10` (string)',
    ],
    [
      'null',
      null,
      OptionTypeError,
      'Expected `removeOnComplete` to be `true`, `false`, a count, or `{ age, count }`, got `null`',
    ],
    [
      'an array',
      [10],
      OptionTypeError,
      'Expected `removeOnComplete` to be `true`, `false`, a count, or `{ age, count }`, got an array of length 1',
    ],
    [
      'a negative age',
      { age: -1 },
      OptionRangeError,
      'Expected `removeOnComplete.age` to be an integer >= 0, got `-1` (number)',
    ],
    [
      'a string count',
      { count: '5' },
      OptionTypeError,
      'Expected `removeOnComplete.count` to be an integer >= 0, got `5` (string)',
    ],
  ])('refuses %s', (_kind, value, Kind, message) => {
    const error = catchError(() => resolveRetention('removeOnComplete', value));
    expect(error).toBeInstanceOf(Kind);
    expect(error.message).toBe(message);
  });

  it('refuses an unknown key and suggests the closest', () => {
    const error = catchError(() => resolveRetention('removeOnComplete', { ages: 10 }));
    expect(error).toBeInstanceOf(OptionTypeError);
    expect(error.message).toContain(
      'Unknown option `ages` in `removeOnComplete`; did you mean `age`?',
    );
  });
});

describe('encodeRetention', () => {
  it('encodes count and age as count:age', () => {
    expect(encodeRetention({ count: 1000, age: 86_400 })).toBe('1000:86400');
    expect(encodeRetention(resolveRetention('r', true))).toBe('0:-1');
    expect(encodeRetention(resolveRetention('r', false))).toBe('-1:-1');
    expect(encodeRetention(resolveRetention('r', { age: 5 }))).toBe('-1:5');
  });
});

describe('retention sets', () => {
  it('names the same default policies in Lua as in retention.ts', async () => {
    const { readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { DEFAULT_KEEP } = await import('../../src/redis/protocol/retention-sets.js');
    const lua = readFileSync(
      join(import.meta.dirname, '..', '..', 'src', 'redis', 'lua', 'includes', 'retention.lua'),
      'utf8',
    );
    expect(DEFAULT_KEEP).toEqual({
      completed: encodeRetention(DEFAULT_REMOVE_ON_COMPLETE),
      failed: encodeRetention(DEFAULT_REMOVE_ON_FAIL),
    });
    expect(lua).toContain(
      `local DEFAULT_KEEP = { completed = '${DEFAULT_KEEP.completed}', failed = '${DEFAULT_KEEP.failed}' }`,
    );
  });
});
