import { describe, it, expect } from 'vitest';
import { OptionRangeError, OptionTypeError } from '../../src/errors.js';
import {
  checkBoolean,
  checkFunction,
  checkInteger,
  checkKnownKeys,
  checkNumber,
  checkObject,
  checkOneOf,
  checkString,
  describeValue,
  invalid,
  isPlainObject,
} from '../../src/validate.js';
import { catchError } from './catch-error.js';

describe('describeValue', () => {
  class Widget {}
  const Anonymous = (() => class {})();

  it.each([
    ['null', null, '`null`'],
    ['undefined', undefined, '`undefined`'],
    ['the empty string', '', '`""` (empty string)'],
    ['a string', 'abc', '`abc` (string)'],
    ['a white-space string', '  ', '`  ` (string)'],
    ['a number', 0, '`0` (number)'],
    ['a negative fraction', -1.5, '`-1.5` (number)'],
    ['NaN', NaN, '`NaN` (number)'],
    ['Infinity', Infinity, '`Infinity` (number)'],
    ['-Infinity', -Infinity, '`-Infinity` (number)'],
    ['true', true, '`true` (boolean)'],
    ['false', false, '`false` (boolean)'],
    ['a BigInt', 10n, '`10n` (bigint)'],
    ['a named function', function handler() {}, '`handler` (function)'],
    ['a symbol', Symbol('tag'), '`Symbol(tag)` (symbol)'],
    ['an empty array', [], 'an array of length 0'],
    ['an array', [1, 2, 3], 'an array of length 3'],
    ['a plain object', { a: 1 }, 'an object'],
    ['a null-prototype object', Object.create(null) as object, 'an object'],
    ['a class instance', new Widget(), 'an instance of Widget'],
    ['a Date', new Date(0), 'an instance of Date'],
    ['a Map', new Map(), 'an instance of Map'],
    ['an instance of an anonymous class', new Anonymous(), 'an instance of an anonymous class'],
  ])('describes %s', (_kind, value, expected) => {
    expect(describeValue(value)).toBe(expected);
  });

  it('describes an anonymous function as anonymous', () => {
    const fns = [() => {}];
    expect(describeValue(fns[0])).toBe('`anonymous` (function)');
  });

  it('shortens a string longer than 60 characters to 57 and an ellipsis', () => {
    const long = 'x'.repeat(61);
    expect(describeValue(long)).toBe(`\`${'x'.repeat(57)}...\` (string)`);
  });

  it('shows a string of exactly 60 characters whole', () => {
    const sixty = 'y'.repeat(60);
    expect(describeValue(sixty)).toBe(`\`${sixty}\` (string)`);
  });
});

describe('checkInteger', () => {
  it('returns an integer within its bounds', () => {
    expect(checkInteger('n', 0)).toBe(0);
    expect(checkInteger('n', 1, { min: 1 })).toBe(1);
    expect(checkInteger('n', 10, { min: 1, max: 10 })).toBe(10);
    expect(checkInteger('n', -5, { max: 0 })).toBe(-5);
  });

  it('refuses a value below the minimum with a RangeError in the standard shape', () => {
    const error = catchError(() => checkInteger('concurrency', 0, { min: 1 }));
    expect(error).toBeInstanceOf(OptionRangeError);
    expect(error).toBeInstanceOf(RangeError);
    expect(error.message).toBe('Expected `concurrency` to be an integer >= 1, got `0` (number)');
    expect((error as OptionRangeError).option).toBe('concurrency');
    expect((error as OptionRangeError).code).toBe('ERR_OPTION_OUT_OF_RANGE');
  });

  it('refuses a value above the maximum', () => {
    const error = catchError(() => checkInteger('n', 11, { max: 10 }));
    expect(error).toBeInstanceOf(OptionRangeError);
    expect(error.message).toBe('Expected `n` to be an integer <= 10, got `11` (number)');
  });

  it('names both bounds when it has both', () => {
    const error = catchError(() => checkInteger('n', 0, { min: 1, max: 10 }));
    expect(error.message).toBe('Expected `n` to be an integer from 1 to 10, got `0` (number)');
  });

  it('refuses a non-number with a TypeError', () => {
    const error = catchError(() => checkInteger('concurrency', '5', { min: 1 }));
    expect(error).toBeInstanceOf(OptionTypeError);
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toBe('Expected `concurrency` to be an integer >= 1, got `5` (string)');
    expect((error as OptionTypeError).code).toBe('ERR_INVALID_OPTION');
    expect((error as OptionTypeError).option).toBe('concurrency');
  });

  it.each([
    [1.5, '`1.5` (number)'],
    [NaN, '`NaN` (number)'],
    [Infinity, '`Infinity` (number)'],
    [-Infinity, '`-Infinity` (number)'],
  ])('refuses %s with a RangeError', (value, shown) => {
    const error = catchError(() => checkInteger('n', value));
    expect(error).toBeInstanceOf(OptionRangeError);
    expect(error.message).toBe(`Expected \`n\` to be an integer, got ${shown}`);
  });

  it.each([null, undefined, true, 1n, {}, []])('refuses %s with a TypeError', (value) => {
    expect(() => checkInteger('n', value)).toThrow(OptionTypeError);
  });
});

describe('checkNumber', () => {
  it('accepts fractions within bounds', () => {
    expect(checkNumber('jitter', 0.5, { min: 0, max: 1 })).toBe(0.5);
    expect(checkNumber('jitter', 0, { min: 0, max: 1 })).toBe(0);
    expect(checkNumber('jitter', 1, { min: 0, max: 1 })).toBe(1);
  });

  it('refuses a number out of range with a RangeError', () => {
    const error = catchError(() => checkNumber('jitter', 1.5, { min: 0, max: 1 }));
    expect(error).toBeInstanceOf(OptionRangeError);
    expect(error.message).toBe(
      'Expected `jitter` to be a finite number from 0 to 1, got `1.5` (number)',
    );
  });

  it('refuses a number below the minimum', () => {
    const error = catchError(() => checkNumber('x', -0.1, { min: 0 }));
    expect(error).toBeInstanceOf(OptionRangeError);
    expect(error.message).toBe('Expected `x` to be a finite number >= 0, got `-0.1` (number)');
  });

  it.each([NaN, Infinity, -Infinity])('refuses %s with a RangeError', (value) => {
    const error = catchError(() => checkNumber('x', value));
    expect(error).toBeInstanceOf(OptionRangeError);
    expect(error.message).toBe(`Expected \`x\` to be a finite number, got \`${value}\` (number)`);
  });

  it('refuses a numeric string with a TypeError', () => {
    const error = catchError(() => checkNumber('x', '0.5'));
    expect(error).toBeInstanceOf(OptionTypeError);
    expect(error.message).toBe('Expected `x` to be a finite number, got `0.5` (string)');
  });
});

describe('checkString', () => {
  it('returns a string', () => {
    expect(checkString('prefix', 'rwp')).toBe('rwp');
  });

  it('refuses a non-string with a TypeError', () => {
    const error = catchError(() => checkString('prefix', 42));
    expect(error).toBeInstanceOf(OptionTypeError);
    expect(error.message).toBe('Expected `prefix` to be a string, got `42` (number)');
  });

  it('refuses the empty string with a RangeError', () => {
    const error = catchError(() => checkString('prefix', ''));
    expect(error).toBeInstanceOf(OptionRangeError);
    expect(error.message).toBe(
      'Expected `prefix` to be a non-empty string, got `""` (empty string)',
    );
  });

  it('refuses a string of white space only', () => {
    const error = catchError(() => checkString('prefix', ' \t'));
    expect(error).toBeInstanceOf(OptionRangeError);
    expect(error.message).toBe('Expected `prefix` to be a non-empty string, got ` \t` (string)');
  });

  it('accepts the empty string with nonEmpty: false', () => {
    expect(checkString('prefix', '', { nonEmpty: false })).toBe('');
  });
});

describe('checkBoolean', () => {
  it('returns a boolean', () => {
    expect(checkBoolean('flag', true)).toBe(true);
    expect(checkBoolean('flag', false)).toBe(false);
  });

  it.each([
    ['a string', 'true', '`true` (string)'],
    ['a number', 1, '`1` (number)'],
    ['null', null, '`null`'],
  ])('refuses %s with a TypeError', (_kind, value, shown) => {
    const error = catchError(() => checkBoolean('flag', value));
    expect(error).toBeInstanceOf(OptionTypeError);
    expect(error.message).toBe(`Expected \`flag\` to be a boolean, got ${shown}`);
  });
});

describe('checkOneOf', () => {
  const allowed = ['exponential', 'fixed'] as const;

  it('returns an allowed value', () => {
    expect(checkOneOf('type', 'fixed', allowed)).toBe('fixed');
  });

  it('refuses a string that is not allowed with a RangeError listing the choices', () => {
    const error = catchError(() => checkOneOf('type', 'linear', allowed));
    expect(error).toBeInstanceOf(OptionRangeError);
    expect(error.message).toBe(
      'Expected `type` to be one of `exponential`, `fixed`, got `linear` (string)',
    );
  });

  it('refuses a non-string with a TypeError', () => {
    const error = catchError(() => checkOneOf('type', 1, allowed));
    expect(error).toBeInstanceOf(OptionTypeError);
    expect(error.message).toBe(
      'Expected `type` to be one of `exponential`, `fixed`, got `1` (number)',
    );
  });

  it('is case-sensitive', () => {
    expect(() => checkOneOf('type', 'Fixed', allowed)).toThrow(OptionRangeError);
  });
});

describe('checkObject and isPlainObject', () => {
  it('accepts plain and null-prototype objects', () => {
    const plain = { a: 1 };
    expect(checkObject('options', plain)).toBe(plain);
    const bare = Object.create(null) as Record<string, unknown>;
    expect(checkObject('options', bare)).toBe(bare);
  });

  it.each([
    ['null', null, '`null`'],
    ['an array', [1], 'an array of length 1'],
    ['a Date', new Date(0), 'an instance of Date'],
    ['a string', 'x', '`x` (string)'],
    ['a function', function make() {}, '`make` (function)'],
  ])('refuses %s with a TypeError', (_kind, value, shown) => {
    const error = catchError(() => checkObject('options', value));
    expect(error).toBeInstanceOf(OptionTypeError);
    expect(error.message).toBe(`Expected \`options\` to be a plain object, got ${shown}`);
  });

  it('tells plain objects from class instances', () => {
    class Thing {}
    expect(isPlainObject({})).toBe(true);
    expect(isPlainObject(new Thing())).toBe(false);
    expect(isPlainObject(undefined)).toBe(false);
  });
});

describe('checkFunction', () => {
  it('returns a function', () => {
    const fn = () => 'label';
    expect(checkFunction('jobLabel', fn)).toBe(fn);
  });

  it('refuses a non-function with a TypeError', () => {
    const error = catchError(() => checkFunction('jobLabel', 'label'));
    expect(error).toBeInstanceOf(OptionTypeError);
    expect(error.message).toBe('Expected `jobLabel` to be a function, got `label` (string)');
  });
});

describe('invalid', () => {
  it('throws a TypeError by default', () => {
    const error = catchError(() => invalid('logger', 'a logger', 1));
    expect(error).toBeInstanceOf(OptionTypeError);
    expect(error.message).toBe('Expected `logger` to be a logger, got `1` (number)');
  });

  it('throws a RangeError with range: true', () => {
    const error = catchError(() => invalid('x', 'small', 1000, { range: true }));
    expect(error).toBeInstanceOf(OptionRangeError);
    expect(error.message).toBe('Expected `x` to be small, got `1000` (number)');
  });
});

describe('checkKnownKeys', () => {
  const known = ['concurrency', 'timeout', 'prefix'] as const;

  it('accepts an object with known keys only', () => {
    expect(() => checkKnownKeys('options', { concurrency: 1, prefix: 'p' }, known)).not.toThrow();
  });

  it('refuses a typo and suggests the closest known key', () => {
    const error = catchError(() => checkKnownKeys('WorkerPool options', { concurency: 1 }, known));
    expect(error).toBeInstanceOf(OptionTypeError);
    expect(error.message).toBe(
      'Unknown option `concurency` in WorkerPool options; did you mean `concurrency`? ' +
        'Known options: `concurrency`, `timeout`, `prefix`',
    );
    expect((error as OptionTypeError).option).toBe('concurency');
  });

  it('suggests regardless of case', () => {
    const error = catchError(() => checkKnownKeys('options', { TimeOut: 1 }, known));
    expect(error.message).toContain('did you mean `timeout`?');
  });

  it('makes no suggestion when nothing is close', () => {
    const error = catchError(() => checkKnownKeys('options', { color: 'red' }, known));
    expect(error).toBeInstanceOf(OptionTypeError);
    expect(error.message).toMatch(/^Unknown option `color` in options\. Known options/);
    expect(error.message).toContain('Known options: `concurrency`, `timeout`, `prefix`');
    expect(error.message).not.toContain('did you mean');
  });
});
