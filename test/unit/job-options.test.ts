import { describe, it, expect } from 'vitest';
import { DEFAULT_BACKOFF } from '../../src/backoff.js';
import { OptionRangeError, OptionTypeError } from '../../src/errors.js';
import {
  checkJobId,
  encodeForAdd,
  MAX_TIMER_MS,
  NO_JOB_DEFAULTS,
  resolveJobOptions,
} from '../../src/job-options.js';
import { DEFAULT_REMOVE_ON_COMPLETE, DEFAULT_REMOVE_ON_FAIL } from '../../src/retention.js';
import { catchError } from './catch-error.js';

describe('resolveJobOptions', () => {
  it('returns the defaults when no options are given', () => {
    expect(resolveJobOptions('options', undefined)).toBe(NO_JOB_DEFAULTS);
    const defaults = resolveJobOptions('defaults', { attempts: 2 });
    expect(resolveJobOptions('options', undefined, defaults)).toBe(defaults);
  });

  it('has bounded retention and no delay by default', () => {
    expect(NO_JOB_DEFAULTS).toEqual({
      delay: 0,
      removeOnComplete: DEFAULT_REMOVE_ON_COMPLETE,
      removeOnFail: DEFAULT_REMOVE_ON_FAIL,
    });
  });

  it('fills an empty object with the defaults', () => {
    expect(resolveJobOptions('options', {})).toEqual(NO_JOB_DEFAULTS);
  });

  it('resolves every field', () => {
    const resolved = resolveJobOptions('options', {
      jobId: 'page-1',
      delay: 500,
      attempts: 3,
      backoff: { type: 'fixed', delay: 100 },
      timeout: 2000,
      removeOnComplete: true,
      removeOnFail: 5,
    });
    expect(resolved).toEqual({
      jobId: 'page-1',
      delay: 500,
      attempts: 3,
      backoff: { ...DEFAULT_BACKOFF, type: 'fixed', delay: 100 },
      timeout: 2000,
      removeOnComplete: { count: 0, age: -1 },
      removeOnFail: { count: 5, age: -1 },
    });
    expect(Object.isFrozen(resolved)).toBe(true);
  });

  it('merges a job’s options over the queue’s defaults', () => {
    const defaults = resolveJobOptions(
      'defaultJobOptions',
      { attempts: 2, timeout: 1000, backoff: 50, removeOnComplete: false },
      NO_JOB_DEFAULTS,
      { allowJobId: false },
    );
    const resolved = resolveJobOptions('options', { timeout: 3000, delay: 10 }, defaults);
    expect(resolved).toEqual({
      delay: 10,
      attempts: 2,
      timeout: 3000,
      backoff: { ...DEFAULT_BACKOFF, delay: 50 },
      removeOnComplete: { count: -1, age: -1 },
      removeOnFail: DEFAULT_REMOVE_ON_FAIL,
    });
  });

  it('replaces the default backoff as a whole rather than merging its fields', () => {
    const defaults = resolveJobOptions('d', { backoff: { type: 'fixed', delay: 7 } });
    const resolved = resolveJobOptions('options', { backoff: { jitter: 0 } }, defaults);
    expect(resolved.backoff).toEqual({ ...DEFAULT_BACKOFF, jitter: 0 });
  });

  it('ignores fields set to undefined', () => {
    const defaults = resolveJobOptions('d', { attempts: 9 });
    expect(resolveJobOptions('options', { attempts: undefined }, defaults).attempts).toBe(9);
  });

  it('does not change the defaults it merges over', () => {
    const defaults = resolveJobOptions('d', { attempts: 9 });
    resolveJobOptions('options', { attempts: 1 }, defaults);
    expect(defaults.attempts).toBe(9);
  });

  it('accepts the largest timer delay and timeout', () => {
    const resolved = resolveJobOptions('o', { delay: MAX_TIMER_MS, timeout: MAX_TIMER_MS });
    expect(resolved.delay).toBe(2 ** 31 - 1);
    expect(resolved.timeout).toBe(2 ** 31 - 1);
  });

  it('refuses options that are not a plain object', () => {
    const error = catchError(() => resolveJobOptions('options', 'fast'));
    expect(error).toBeInstanceOf(OptionTypeError);
    expect(error.message).toBe('Expected `options` to be a plain object, got `fast` (string)');
    expect(() => resolveJobOptions('options', null)).toThrow(OptionTypeError);
  });

  it('refuses an unknown key and suggests the closest', () => {
    const error = catchError(() => resolveJobOptions('options', { atempts: 3 }));
    expect(error).toBeInstanceOf(OptionTypeError);
    expect(error.message).toContain(
      'Unknown option `atempts` in `options`; did you mean `attempts`?',
    );
  });

  it('refuses a jobId in queue-wide defaults', () => {
    const error = catchError(() =>
      resolveJobOptions('defaultJobOptions', { jobId: 'x' }, NO_JOB_DEFAULTS, {
        allowJobId: false,
      }),
    );
    expect(error).toBeInstanceOf(OptionTypeError);
    expect(error.message).toMatch(/^Unknown option `jobId` in `defaultJobOptions`/);
    expect(error.message).not.toContain('`jobId`,');
  });

  const range = OptionRangeError;
  const type = OptionTypeError;
  it.each([
    [
      'delay',
      -1,
      range,
      'Expected `o.delay` to be an integer from 0 to 2147483647, got `-1` (number)',
    ],
    [
      'delay',
      1.5,
      range,
      'Expected `o.delay` to be an integer from 0 to 2147483647, got `1.5` (number)',
    ],
    [
      'delay',
      2 ** 31,
      range,
      'Expected `o.delay` to be an integer from 0 to 2147483647, got `2147483648` (number)',
    ],
    [
      'delay',
      NaN,
      range,
      'Expected `o.delay` to be an integer from 0 to 2147483647, got `NaN` (number)',
    ],
    [
      'delay',
      '10',
      type,
      'Expected `o.delay` to be an integer from 0 to 2147483647, got `10` (string)',
    ],
    [
      'attempts',
      0,
      range,
      'Expected `o.attempts` to be an integer from 1 to 1000000, got `0` (number)',
    ],
    [
      'attempts',
      1_000_001,
      range,
      'Expected `o.attempts` to be an integer from 1 to 1000000, got `1000001` (number)',
    ],
    [
      'attempts',
      Infinity,
      range,
      'Expected `o.attempts` to be an integer from 1 to 1000000, got `Infinity` (number)',
    ],
    [
      'attempts',
      null,
      type,
      'Expected `o.attempts` to be an integer from 1 to 1000000, got `null`',
    ],
    [
      'timeout',
      0,
      range,
      'Expected `o.timeout` to be an integer from 1 to 2147483647, got `0` (number)',
    ],
    [
      'timeout',
      2 ** 31,
      range,
      'Expected `o.timeout` to be an integer from 1 to 2147483647, got `2147483648` (number)',
    ],
    [
      'timeout',
      true,
      type,
      'Expected `o.timeout` to be an integer from 1 to 2147483647, got `true` (boolean)',
    ],
    [
      'backoff',
      -1,
      range,
      'Expected `o.backoff` to be an integer from 0 to 2147483647, got `-1` (number)',
    ],
    [
      'backoff',
      { type: 'linear' },
      range,
      'Expected `o.backoff.type` to be one of `exponential`, `fixed`, got `linear` (string)',
    ],
    [
      'removeOnComplete',
      -1,
      range,
      'Expected `o.removeOnComplete` to be an integer >= 0, got `-1` (number)',
    ],
    [
      'removeOnComplete',
      'yes',
      type,
      'Expected `o.removeOnComplete` to be `true`, `false`, a count, or `{ age, count }`, got `yes` (string)',
    ],
    [
      'removeOnFail',
      { count: -2 },
      range,
      'Expected `o.removeOnFail.count` to be an integer >= 0, got `-2` (number)',
    ],
    ['jobId', 42, type, 'Expected `o.jobId` to be a string, got `42` (number)'],
    ['jobId', '', range, 'Expected `o.jobId` to be a non-empty string, got `""` (empty string)'],
    [
      'jobId',
      '42',
      range,
      'Expected `o.jobId` to be a string that is not a plain integer (the queue numbers its own jobs), got `42` (string)',
    ],
  ])('refuses %s = %s', (field, value, Kind, message) => {
    const error = catchError(() => resolveJobOptions('o', { [field]: value }));
    expect(error).toBeInstanceOf(Kind);
    expect(error.message).toBe(message);
  });
});

describe('checkJobId', () => {
  it('accepts ids that are not plain integers', () => {
    for (const id of ['page-1', 'a', '1a', '-1', '1.5', 'user:42', 'x'.repeat(512)]) {
      expect(checkJobId('jobId', id)).toBe(id);
    }
  });

  it.each(['0', '7', '007', '12345678901234567890'])('refuses the plain integer %s', (id) => {
    const error = catchError(() => checkJobId('jobId', id));
    expect(error).toBeInstanceOf(OptionRangeError);
    expect(error.message).toBe(
      `Expected \`jobId\` to be a string that is not a plain integer (the queue numbers its own jobs), got \`${id}\` (string)`,
    );
  });

  it('refuses an id longer than 512 characters', () => {
    const error = catchError(() => checkJobId('jobId', 'x'.repeat(513)));
    expect(error).toBeInstanceOf(OptionRangeError);
    expect(error.message).toBe(
      'Expected `jobId` to be at most 512 characters long, got 513 characters',
    );
    expect((error as OptionRangeError).option).toBe('jobId');
  });

  it('refuses a non-string', () => {
    expect(() => checkJobId('jobId', 1)).toThrow(OptionTypeError);
    expect(() => checkJobId('jobId', undefined)).toThrow(OptionTypeError);
  });

  it('refuses white space only', () => {
    expect(() => checkJobId('jobId', '   ')).toThrow(OptionRangeError);
  });
});

describe('encodeForAdd', () => {
  it('encodes the defaults with no run options and no attempts', () => {
    expect(encodeForAdd(NO_JOB_DEFAULTS)).toEqual({
      runOptions: '',
      maxAttempts: undefined,
      keepCompleted: '1000:86400',
      keepFailed: '10000:604800',
      delay: 0,
    });
  });

  it('encodes a job’s own options', () => {
    const options = resolveJobOptions('o', {
      delay: 250,
      attempts: 3,
      backoff: { type: 'fixed', delay: 10, maxDelay: 20, jitter: 0 },
      timeout: 5000,
      removeOnComplete: true,
      removeOnFail: { age: 60 },
    });
    const encoded = encodeForAdd(options);
    expect(encoded).toEqual({
      runOptions: expect.any(String),
      maxAttempts: 3,
      keepCompleted: '0:-1',
      keepFailed: '-1:60',
      delay: 250,
    });
    expect(JSON.parse(encoded.runOptions)).toEqual({
      backoff: { type: 'fixed', delay: 10, maxDelay: 20, jitter: 0 },
      timeout: 5000,
    });
  });

  it('stores only the run options a job sets', () => {
    const onlyTimeout = encodeForAdd(resolveJobOptions('o', { timeout: 100 }));
    expect(JSON.parse(onlyTimeout.runOptions)).toEqual({ timeout: 100 });
    const onlyBackoff = encodeForAdd(resolveJobOptions('o', { backoff: 5 }));
    expect(JSON.parse(onlyBackoff.runOptions)).toEqual({
      backoff: { ...DEFAULT_BACKOFF, delay: 5 },
    });
  });
});

describe('the cache option', () => {
  it('resolves a cache, and keeps its key in the run options so the pool reports and declares it', () => {
    const resolved = resolveJobOptions('opts', { cache: { key: 'page:v1:x', ttl: 1000 } });
    expect(resolved.cache).toEqual({ key: 'page:v1:x', ttl: 1000 });
    expect(JSON.parse(encodeForAdd(resolved).runOptions)).toEqual({ cache: 'page:v1:x' });
    // A job without cache keeps its empty run options.
    expect(encodeForAdd(resolveJobOptions('opts', {})).runOptions).toBe('');
  });

  it('accepts a key of exactly 512 bytes and refuses 513', () => {
    expect(
      resolveJobOptions('opts', { cache: { key: 'k'.repeat(512), ttl: 1 } }).cache?.key,
    ).toHaveLength(512);
    const error = catchError(() =>
      resolveJobOptions('opts', { cache: { key: 'k'.repeat(513), ttl: 1 } }),
    );
    expect(error).toBeInstanceOf(OptionRangeError);
    expect((error as Error).message).toBe(
      'Expected `opts.cache.key` to be at most 512 bytes long, got 513 bytes',
    );
  });
});
