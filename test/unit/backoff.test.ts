import { describe, it, expect } from 'vitest';
import { backoffDelay, DEFAULT_BACKOFF, resolveBackoff } from '../../src/backoff.js';
import { OptionRangeError, OptionTypeError } from '../../src/errors.js';
import { catchError } from './catch-error.js';

const noJitter = { type: 'exponential', delay: 1000, maxDelay: 60_000, jitter: 0 } as const;
const zero = () => 0;

describe('resolveBackoff', () => {
  it('has the documented defaults', () => {
    expect(DEFAULT_BACKOFF).toEqual({
      type: 'exponential',
      delay: 1000,
      maxDelay: 60_000,
      jitter: 0.2,
    });
    expect(Object.isFrozen(DEFAULT_BACKOFF)).toBe(true);
  });

  it('reads a number as an exponential backoff with that base delay', () => {
    const resolved = resolveBackoff('backoff', 250);
    expect(resolved).toEqual({ ...DEFAULT_BACKOFF, delay: 250 });
    expect(Object.isFrozen(resolved)).toBe(true);
  });

  it('accepts 0 as the number shorthand', () => {
    expect(resolveBackoff('backoff', 0).delay).toBe(0);
  });

  it('fills what an object leaves out with the defaults', () => {
    expect(resolveBackoff('backoff', {})).toEqual(DEFAULT_BACKOFF);
    expect(resolveBackoff('backoff', { type: 'fixed' })).toEqual({
      ...DEFAULT_BACKOFF,
      type: 'fixed',
    });
  });

  it('keeps every field an object sets', () => {
    const resolved = resolveBackoff('backoff', {
      type: 'fixed',
      delay: 10,
      maxDelay: 20,
      jitter: 1,
    });
    expect(resolved).toEqual({ type: 'fixed', delay: 10, maxDelay: 20, jitter: 1 });
    expect(Object.isFrozen(resolved)).toBe(true);
  });

  it.each([
    [
      'a negative number',
      -1,
      OptionRangeError,
      'Expected `backoff` to be an integer from 0 to 2147483647, got `-1` (number)',
    ],
    [
      'a fraction',
      1.5,
      OptionRangeError,
      'Expected `backoff` to be an integer from 0 to 2147483647, got `1.5` (number)',
    ],
    [
      'NaN',
      NaN,
      OptionRangeError,
      'Expected `backoff` to be an integer from 0 to 2147483647, got `NaN` (number)',
    ],
    [
      'Infinity',
      Infinity,
      OptionRangeError,
      'Expected `backoff` to be an integer from 0 to 2147483647, got `Infinity` (number)',
    ],
    [
      'a string',
      '1000',
      OptionTypeError,
      'Expected `backoff` to be a plain object, got `1000` (string)',
    ],
    ['null', null, OptionTypeError, 'Expected `backoff` to be a plain object, got `null`'],
    [
      'an array',
      [1000],
      OptionTypeError,
      'Expected `backoff` to be a plain object, got an array of length 1',
    ],
    [
      'an unknown type',
      { type: 'linear' },
      OptionRangeError,
      'Expected `backoff.type` to be one of `exponential`, `fixed`, got `linear` (string)',
    ],
    [
      'a non-string type',
      { type: 2 },
      OptionTypeError,
      'Expected `backoff.type` to be one of `exponential`, `fixed`, got `2` (number)',
    ],
    [
      'a negative delay',
      { delay: -5 },
      OptionRangeError,
      'Expected `backoff.delay` to be an integer from 0 to 2147483647, got `-5` (number)',
    ],
    [
      'a string delay',
      { delay: '5' },
      OptionTypeError,
      'Expected `backoff.delay` to be an integer from 0 to 2147483647, got `5` (string)',
    ],
    [
      'a fractional maxDelay',
      { maxDelay: 0.5 },
      OptionRangeError,
      'Expected `backoff.maxDelay` to be an integer from 0 to 2147483647, got `0.5` (number)',
    ],
    [
      'a jitter above 1',
      { jitter: 1.1 },
      OptionRangeError,
      'Expected `backoff.jitter` to be a finite number from 0 to 1, got `1.1` (number)',
    ],
    [
      'a negative jitter',
      { jitter: -0.1 },
      OptionRangeError,
      'Expected `backoff.jitter` to be a finite number from 0 to 1, got `-0.1` (number)',
    ],
    [
      'a NaN jitter',
      { jitter: NaN },
      OptionRangeError,
      'Expected `backoff.jitter` to be a finite number from 0 to 1, got `NaN` (number)',
    ],
  ])('refuses %s', (_kind, value, Kind, message) => {
    const error = catchError(() => resolveBackoff('backoff', value));
    expect(error).toBeInstanceOf(Kind);
    expect(error.message).toBe(message);
  });

  it('refuses an unknown key and suggests the closest', () => {
    const error = catchError(() => resolveBackoff('backoff', { dealy: 100 }));
    expect(error).toBeInstanceOf(OptionTypeError);
    expect(error.message).toContain('Unknown option `dealy` in `backoff`; did you mean `delay`?');
  });

  it.each([
    ['the number shorthand', 2 ** 31, 'backoff'],
    ['delay', { delay: 2 ** 31 }, 'backoff.delay'],
    ['maxDelay', { maxDelay: 8_869_000_000_000 }, 'backoff.maxDelay'],
  ])('refuses a %s above 2147483647 ms, the longest timer', (_kind, value, option) => {
    const error = catchError(() => resolveBackoff('backoff', value));
    expect(error).toBeInstanceOf(OptionRangeError);
    const shown = typeof value === 'number' ? value : Object.values(value)[0];
    expect(error.message).toBe(
      `Expected \`${option}\` to be an integer from 0 to 2147483647, got \`${shown}\` (number)`,
    );
  });

  it('accepts 2147483647 ms for delay and maxDelay', () => {
    const resolved = resolveBackoff('backoff', { delay: 2 ** 31 - 1, maxDelay: 2 ** 31 - 1 });
    expect(resolved.delay).toBe(2147483647);
    expect(resolved.maxDelay).toBe(2147483647);
  });

  it('names the option it was given in messages', () => {
    const error = catchError(() => resolveBackoff('options.backoff', { delay: -1 }));
    expect(error.message).toBe(
      'Expected `options.backoff.delay` to be an integer from 0 to 2147483647, got `-1` (number)',
    );
  });
});

describe('backoffDelay', () => {
  it('doubles an exponential delay with each failed attempt', () => {
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(noJitter, n, zero))).toEqual([
      1000, 2000, 4000, 8000, 16_000,
    ]);
  });

  it('treats an attempt below 1 as the first', () => {
    expect(backoffDelay(noJitter, 0, zero)).toBe(1000);
    expect(backoffDelay(noJitter, -3, zero)).toBe(1000);
  });

  it('caps an exponential delay at maxDelay', () => {
    const backoff = { ...noJitter, maxDelay: 5000 };
    expect(backoffDelay(backoff, 3, zero)).toBe(4000);
    expect(backoffDelay(backoff, 4, zero)).toBe(5000);
    expect(backoffDelay(backoff, 10, zero)).toBe(5000);
  });

  it('waits the same delay every time with a fixed backoff', () => {
    const fixed = { ...noJitter, type: 'fixed' } as const;
    expect([1, 2, 5, 100].map((n) => backoffDelay(fixed, n, zero))).toEqual([
      1000, 1000, 1000, 1000,
    ]);
  });

  it('caps a fixed delay at maxDelay too', () => {
    const fixed = { ...noJitter, type: 'fixed', delay: 9000, maxDelay: 3000 } as const;
    expect(backoffDelay(fixed, 1, zero)).toBe(3000);
  });

  it('gives the full delay when the random draw is 0', () => {
    const jittery = { ...noJitter, jitter: 0.2 };
    expect(backoffDelay(jittery, 2, () => 0)).toBe(2000);
  });

  it('takes off the jitter fraction when the random draw is 1', () => {
    const jittery = { ...noJitter, jitter: 0.2 };
    expect(backoffDelay(jittery, 2, () => 1)).toBe(1600);
  });

  it('takes off part of the jitter for a draw in between', () => {
    const jittery = { ...noJitter, jitter: 0.5 };
    expect(backoffDelay(jittery, 1, () => 0.5)).toBe(750);
  });

  it('can draw down to 0 with full jitter', () => {
    const full = { ...noJitter, jitter: 1 };
    expect(backoffDelay(full, 3, () => 1)).toBe(0);
    expect(backoffDelay(full, 3, () => 0)).toBe(4000);
  });

  it('applies jitter after the cap', () => {
    const capped = { ...noJitter, maxDelay: 5000, jitter: 0.2 };
    expect(backoffDelay(capped, 20, () => 1)).toBe(4000);
  });

  it('stays within [delay * (1 - jitter), delay] with the real random source', () => {
    const jittery = { ...noJitter, jitter: 0.3 };
    for (let i = 0; i < 200; i++) {
      const d = backoffDelay(jittery, 3);
      expect(d).toBeGreaterThanOrEqual(2800);
      expect(d).toBeLessThanOrEqual(4000);
    }
  });

  it('returns a whole number of milliseconds', () => {
    const jittery = { ...noJitter, delay: 3, jitter: 0.5 };
    expect(Number.isInteger(backoffDelay(jittery, 1, () => 0.3333))).toBe(true);
  });

  it('stays finite for huge attempt numbers', () => {
    for (const attempt of [60, 1100, 1_000_000, Number.MAX_SAFE_INTEGER, Infinity]) {
      const d = backoffDelay({ ...noJitter, jitter: 1 }, attempt, () => 0);
      expect(d).toBe(60_000);
    }
  });

  it('stays finite for huge attempt numbers with a zero delay', () => {
    expect(backoffDelay({ ...noJitter, delay: 0 }, 5000, zero)).toBe(0);
  });

  it('never returns more than 2147483647 ms, even for a backoff that skipped validation', () => {
    const huge = {
      type: 'exponential',
      delay: 8_869_000_000_000,
      maxDelay: 1e16,
      jitter: 0,
    } as const;
    expect(backoffDelay(huge, 1, zero)).toBe(2147483647);
    expect(backoffDelay(huge, 40, zero)).toBe(2147483647);
    expect(backoffDelay({ ...huge, maxDelay: Infinity }, 1100, zero)).toBe(2147483647);
  });

  it('uses Math.random by default', () => {
    const jittery = { ...noJitter, jitter: 1 };
    const seen = new Set(Array.from({ length: 20 }, () => backoffDelay(jittery, 10)));
    expect(seen.size).toBeGreaterThan(1);
  });
});
