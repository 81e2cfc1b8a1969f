import { describe, it, expect, vi } from 'vitest';
import { DEFAULT_BACKOFF } from '../../src/backoff.js';
import { DEFAULT_REDIS_URL } from '../../src/connection.js';
import { OptionRangeError, OptionTypeError } from '../../src/errors.js';
import { NO_JOB_DEFAULTS } from '../../src/job-options.js';
import { consoleLogger, silentLogger } from '../../src/logger.js';
import {
  checkQueueName,
  DEFAULT_POOL_OPTIONS,
  DEFAULT_QUEUE_OPTIONS,
  resolvePoolOptions,
  resolveQueueOptions,
} from '../../src/options.js';
import { catchError } from './catch-error.js';

const MAX = 2 ** 31 - 1;

describe('resolvePoolOptions defaults', () => {
  it('fills every option with its default', () => {
    const resolved = resolvePoolOptions({});
    const { logger, jobLabel, limiter, ...rest } = resolved;
    expect(rest).toEqual(DEFAULT_POOL_OPTIONS);
    expect(logger).toBe(consoleLogger);
    expect(jobLabel).toBeUndefined();
    // No rate limit unless asked for.
    expect(limiter).toEqual({ jobs: [], cost: [] });
    expect(Object.isFrozen(resolved)).toBe(true);
  });

  it('treats no options like an empty object', () => {
    expect(resolvePoolOptions(undefined)).toEqual(resolvePoolOptions({}));
  });

  it('has the documented defaults', () => {
    expect(DEFAULT_POOL_OPTIONS).toEqual({
      connection: 'redis://127.0.0.1:6379',
      prefix: 'rwp',
      concurrency: 5,
      processingDelay: 0,
      timeout: 90_000,
      pollInterval: 1000,
      attempts: 4,
      backoff: DEFAULT_BACKOFF,
      leaseDuration: 30_000,
      gracePeriod: 10_000,
      statsInterval: 60_000,
      progressInterval: 100,
      maxRateLimitHold: 300_000,
    });
    expect(Object.isFrozen(DEFAULT_POOL_OPTIONS)).toBe(true);
  });

  it('keeps every option it is given', () => {
    const jobLabel = () => 'label';
    const resolved = resolvePoolOptions({
      connection: 'rediss://example.com:6380',
      prefix: 'app',
      concurrency: 2,
      processingDelay: 500,
      timeout: 1000,
      pollInterval: 10,
      attempts: 1,
      backoff: 100,
      leaseDuration: 50,
      gracePeriod: 0,
      statsInterval: 0,
      progressInterval: 0,
      jobLabel,
    });
    expect(resolved).toMatchObject({
      connection: 'rediss://example.com:6380',
      prefix: 'app',
      concurrency: 2,
      processingDelay: 500,
      timeout: 1000,
      pollInterval: 10,
      attempts: 1,
      backoff: { ...DEFAULT_BACKOFF, delay: 100 },
      leaseDuration: 50,
      gracePeriod: 0,
      statsInterval: 0,
      progressInterval: 0,
    });
    expect(resolved.jobLabel).toBe(jobLabel);
  });

  it('accepts ioredis options as the connection', () => {
    const connection = { host: 'redis', port: 6380 };
    expect(resolvePoolOptions({ connection }).connection).toBe(connection);
  });

  it('accepts an ioredis client as the connection', () => {
    const client = { duplicate: () => client, defineCommand: () => {} };
    expect(resolvePoolOptions({ connection: client }).connection).toBe(client);
  });
});

const R = OptionRangeError;
const T = OptionTypeError;
const between = (min: number, max = MAX) => `an integer from ${min} to ${max}`;

describe('resolvePoolOptions refuses a bad value', () => {
  it.each([
    ['concurrency', 0, R, between(1, 10_000), '`0` (number)'],
    ['concurrency', -1, R, between(1, 10_000), '`-1` (number)'],
    ['concurrency', 10_001, R, between(1, 10_000), '`10001` (number)'],
    ['concurrency', 2.5, R, between(1, 10_000), '`2.5` (number)'],
    ['concurrency', NaN, R, between(1, 10_000), '`NaN` (number)'],
    ['concurrency', Infinity, R, between(1, 10_000), '`Infinity` (number)'],
    ['concurrency', '5', T, between(1, 10_000), '`5` (string)'],
    ['concurrency', '', T, between(1, 10_000), '`""` (empty string)'],
    ['concurrency', null, T, between(1, 10_000), '`null`'],
    ['processingDelay', -1, R, between(0), '`-1` (number)'],
    ['processingDelay', MAX + 1, R, between(0), '`2147483648` (number)'],
    ['processingDelay', NaN, R, between(0), '`NaN` (number)'],
    ['processingDelay', '500', T, between(0), '`500` (string)'],
    ['timeout', 0, R, between(1), '`0` (number)'],
    ['timeout', Infinity, R, between(1), '`Infinity` (number)'],
    ['timeout', MAX + 1, R, between(1), '`2147483648` (number)'],
    ['timeout', '', T, between(1), '`""` (empty string)'],
    ['pollInterval', 9, R, between(10), '`9` (number)'],
    ['pollInterval', NaN, R, between(10), '`NaN` (number)'],
    ['pollInterval', true, T, between(10), '`true` (boolean)'],
    ['attempts', 0, R, between(1, 1_000_000), '`0` (number)'],
    ['attempts', 1_000_001, R, between(1, 1_000_000), '`1000001` (number)'],
    ['attempts', Infinity, R, between(1, 1_000_000), '`Infinity` (number)'],
    ['attempts', '3', T, between(1, 1_000_000), '`3` (string)'],
    ['leaseDuration', 49, R, between(50), '`49` (number)'],
    ['leaseDuration', NaN, R, between(50), '`NaN` (number)'],
    ['leaseDuration', {}, T, between(50), 'an object'],
    ['gracePeriod', -1, R, between(0), '`-1` (number)'],
    ['gracePeriod', Infinity, R, between(0), '`Infinity` (number)'],
    ['statsInterval', -1, R, between(0), '`-1` (number)'],
    ['statsInterval', 0.5, R, between(0), '`0.5` (number)'],
    ['statsInterval', [], T, between(0), 'an array of length 0'],
    ['progressInterval', -1, R, between(0), '`-1` (number)'],
    ['progressInterval', '100', T, between(0), '`100` (string)'],
    ['prefix', '', R, 'a non-empty string', '`""` (empty string)'],
    ['prefix', '  ', R, 'a non-empty string', '`  ` (string)'],
    ['prefix', 1, T, 'a string', '`1` (number)'],
    ['prefix', 'a{b}', R, 'a string without braces or white space', '`a{b}` (string)'],
    ['prefix', 'my app', R, 'a string without braces or white space', '`my app` (string)'],
    ['jobLabel', 'label', T, 'a function', '`label` (string)'],
    ['jobLabel', null, T, 'a function', '`null`'],
    [
      'logger',
      true,
      T,
      'an object with `info`, `warn` and `error` methods, or `false`',
      '`true` (boolean)',
    ],
    ['logger', null, T, 'an object with `info`, `warn` and `error` methods, or `false`', '`null`'],
    [
      'logger',
      { info() {}, warn() {} },
      T,
      'an object with `info`, `warn` and `error` methods, or `false`',
      'an object',
    ],
    [
      'logger',
      { info() {}, warn() {}, error: 'stderr' },
      T,
      'an object with `info`, `warn` and `error` methods, or `false`',
      'an object',
    ],
    [
      'connection',
      42,
      T,
      'a redis:// or rediss:// URL, ioredis options or an ioredis client',
      '`42` (number)',
    ],
  ])('%s = %s', (name, value, Kind, expected, shown) => {
    const error = catchError(() => resolvePoolOptions({ [name]: value }));
    expect(error).toBeInstanceOf(Kind);
    expect(error.message).toBe(`Expected \`${name}\` to be ${expected}, got ${shown}`);
  });

  it('refuses a connection string that is not a Redis URL without echoing it', () => {
    const error = catchError(() => resolvePoolOptions({ connection: 'http://user:s3cret@host' }));
    expect(error).toBeInstanceOf(OptionTypeError);
    expect((error as OptionTypeError).code).toBe('ERR_INVALID_OPTION');
    expect((error as OptionTypeError).option).toBe('connection');
    expect(error.message).toMatch(/^Expected `connection` to be a redis:\/\/ or rediss:\/\/ URL/);
    expect(error.message).not.toContain('s3cret');
  });

  it('names the option of a bad backoff', () => {
    const error = catchError(() => resolvePoolOptions({ backoff: { delay: -1 } }));
    expect(error).toBeInstanceOf(OptionRangeError);
    expect(error.message).toBe(
      'Expected `backoff.delay` to be an integer from 0 to 2147483647, got `-1` (number)',
    );
  });

  it('refuses a connection string that is not a Redis URL without echoing it', () => {
    const error = catchError(() => resolvePoolOptions({ connection: 'http://user:s3cret@host' }));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toContain('`connection`');
    expect(error.message).not.toContain('s3cret');
  });

  it('refuses options that are not an object', () => {
    const error = catchError(() => resolvePoolOptions(5));
    expect(error).toBeInstanceOf(OptionTypeError);
    expect(error.message).toBe('Expected `options` to be a plain object, got `5` (number)');
  });

  it('refuses an unknown option and suggests the closest', () => {
    const error = catchError(() => resolvePoolOptions({ concurency: 3 }));
    expect(error).toBeInstanceOf(OptionTypeError);
    expect(error.message).toMatch(
      /^Unknown option `concurency` in WorkerPool options; did you mean `concurrency`\? Known options: `connection`, /,
    );
    expect((error as OptionTypeError).option).toBe('concurency');
  });

  it('refuses a queue option given to a pool', () => {
    expect(() => resolvePoolOptions({ maxPayloadSize: 10 })).toThrow(
      /Unknown option `maxPayloadSize` in WorkerPool options/,
    );
  });
});

describe('adaptive concurrency', () => {
  it('takes { min, max }: slots up to max, min defaulting to 1', () => {
    expect(resolvePoolOptions({ concurrency: { min: 2, max: 32 } })).toMatchObject({
      concurrency: 32,
      adaptiveConcurrency: { min: 2, max: 32 },
    });
    expect(resolvePoolOptions({ concurrency: { max: 8 } }).adaptiveConcurrency).toEqual({
      min: 1,
      max: 8,
    });
    expect(resolvePoolOptions({ concurrency: 4 }).adaptiveConcurrency).toBeUndefined();
    expect(resolvePoolOptions({ concurrency: { min: 3, max: 3 } }).concurrency).toBe(3);
  });

  it.each([
    [
      { min: 5, max: 2 },
      R,
      'Expected `concurrency.max` to be an integer >= `concurrency.min` (5), got `2` (number)',
    ],
    [
      { min: 0, max: 2 },
      R,
      'Expected `concurrency.min` to be an integer from 1 to 10000, got `0` (number)',
    ],
    [
      { min: 1.5, max: 2 },
      R,
      'Expected `concurrency.min` to be an integer from 1 to 10000, got `1.5` (number)',
    ],
    [
      { min: 1, max: 2.5 },
      R,
      'Expected `concurrency.max` to be an integer from 1 to 10000, got `2.5` (number)',
    ],
    [
      { min: 1, max: 10_001 },
      R,
      'Expected `concurrency.max` to be an integer from 1 to 10000, got `10001` (number)',
    ],
    [{ min: 1 }, T, 'Expected `concurrency.max` to be an integer from 1 to 10000, got `undefined`'],
    [
      { min: '1', max: 4 },
      T,
      'Expected `concurrency.min` to be an integer from 1 to 10000, got `1` (string)',
    ],
    [
      { max: NaN },
      R,
      'Expected `concurrency.max` to be an integer from 1 to 10000, got `NaN` (number)',
    ],
  ])('refuses concurrency %o', (concurrency, Kind, message) => {
    const error = catchError(() => resolvePoolOptions({ concurrency }));
    expect(error).toBeInstanceOf(Kind);
    expect(error.message).toBe(message);
  });

  it('refuses an unknown key in the range', () => {
    const error = catchError(() => resolvePoolOptions({ concurrency: { min: 1, mx: 4 } }));
    expect(error).toBeInstanceOf(T);
    expect(error.message).toMatch(
      /^Unknown option `mx` in `concurrency`; did you mean `max`\?/,
    );
  });
});

describe('resolvePoolOptions logger', () => {
  it('silences the library with logger: false', () => {
    expect(resolvePoolOptions({ logger: false }).logger).toBe(silentLogger);
  });

  it('wraps a logger so that one that throws cannot break the pool', () => {
    const logger = {
      info: vi.fn(() => {
        throw new Error('disk full');
      }),
      warn: vi.fn(),
      error: vi.fn(),
    };
    const resolved = resolvePoolOptions({ logger }).logger;
    expect(() => resolved.info('hello')).not.toThrow();
    expect(logger.info).toHaveBeenCalledWith('hello');
    resolved.error('bad');
    expect(logger.error).toHaveBeenCalledWith('bad');
  });

  it('accepts a logger whose methods are on its prototype', () => {
    class MyLogger {
      lines: string[] = [];
      info(m: string) {
        this.lines.push(m);
      }
      warn(m: string) {
        this.lines.push(m);
      }
      error(m: string) {
        this.lines.push(m);
      }
    }
    const mine = new MyLogger();
    resolvePoolOptions({ logger: mine }).logger.warn('careful');
    expect(mine.lines).toEqual(['careful']);
  });
});

describe('the default connection', () => {
  it('is REDIS_URL, else REDIS_PUBLIC_URL, else 127.0.0.1:6379, read at construction', () => {
    vi.stubEnv('REDIS_URL', undefined);
    vi.stubEnv('REDIS_PUBLIC_URL', undefined);
    try {
      expect(resolveQueueOptions({}).connection).toBe('redis://127.0.0.1:6379');
      vi.stubEnv('REDIS_PUBLIC_URL', 'rediss://public.example:6380');
      expect(resolvePoolOptions({}).connection).toBe('rediss://public.example:6380');
      vi.stubEnv('REDIS_URL', 'redis://cache:6379');
      expect(resolveQueueOptions({}).connection).toBe('redis://cache:6379');
      expect(resolvePoolOptions({}).connection).toBe('redis://cache:6379');
      expect(resolvePoolOptions({ connection: 'redis://mine:1' }).connection).toBe(
        'redis://mine:1',
      );
    } finally {
      vi.unstubAllEnvs();
    }
  });
});

describe('resolveQueueOptions', () => {
  it('fills every option with its default', () => {
    vi.stubEnv('REDIS_URL', undefined);
    vi.stubEnv('REDIS_PUBLIC_URL', undefined);
    const resolved = resolveQueueOptions(undefined);
    expect(resolved).toEqual({
      connection: DEFAULT_REDIS_URL,
      prefix: 'rwp',
      logger: consoleLogger,
      defaultJobOptions: NO_JOB_DEFAULTS,
      maxPayloadSize: 1024 * 1024,
    });
    expect(DEFAULT_QUEUE_OPTIONS.maxPayloadSize).toBe(1_048_576);
    expect(Object.isFrozen(resolved)).toBe(true);
    vi.unstubAllEnvs();
  });

  it('resolves the default job options', () => {
    const resolved = resolveQueueOptions({ defaultJobOptions: { attempts: 2, delay: 5 } });
    expect(resolved.defaultJobOptions).toEqual({ ...NO_JOB_DEFAULTS, attempts: 2, delay: 5 });
  });

  it('refuses a jobId in the default job options', () => {
    const error = catchError(() => resolveQueueOptions({ defaultJobOptions: { jobId: 'a' } }));
    expect(error).toBeInstanceOf(OptionTypeError);
    expect(error.message).toMatch(/^Unknown option `jobId` in `defaultJobOptions`/);
  });

  it('names the field of a bad default job option', () => {
    const error = catchError(() => resolveQueueOptions({ defaultJobOptions: { attempts: 0 } }));
    expect(error).toBeInstanceOf(OptionRangeError);
    expect(error.message).toBe(
      'Expected `defaultJobOptions.attempts` to be an integer from 1 to 1000000, got `0` (number)',
    );
  });

  it.each([
    [0, R, '`0` (number)'],
    [512 * 1024 * 1024 + 1, R, '`536870913` (number)'],
    [NaN, R, '`NaN` (number)'],
    [Infinity, R, '`Infinity` (number)'],
    ['1mb', T, '`1mb` (string)'],
  ])('refuses maxPayloadSize = %s', (value, Kind, shown) => {
    const error = catchError(() => resolveQueueOptions({ maxPayloadSize: value }));
    expect(error).toBeInstanceOf(Kind);
    expect(error.message).toBe(
      `Expected \`maxPayloadSize\` to be an integer from 1 to 536870912, got ${shown}`,
    );
  });

  it('refuses a pool option given to a queue and suggests nothing unrelated', () => {
    const error = catchError(() => resolveQueueOptions({ concurrency: 2 }));
    expect(error).toBeInstanceOf(OptionTypeError);
    expect(error.message).toMatch(/^Unknown option `concurrency` in Queue options/);
    expect(error.message).not.toContain('did you mean');
  });

  it('refuses a typo and suggests the closest', () => {
    expect(() => resolveQueueOptions({ prefx: 'a' })).toThrow(
      'Unknown option `prefx` in Queue options; did you mean `prefix`?',
    );
  });

  it('refuses a bad prefix and logger like the pool does', () => {
    expect(() => resolveQueueOptions({ prefix: '{x}' })).toThrow(OptionRangeError);
    expect(() => resolveQueueOptions({ logger: {} })).toThrow(OptionTypeError);
    expect(resolveQueueOptions({ logger: false }).logger).toBe(silentLogger);
  });
});

describe('checkQueueName', () => {
  it('accepts ordinary names', () => {
    for (const name of ['pages', 'email-send', 'a:b', 'jobs.v2', 'ü']) {
      expect(checkQueueName(name)).toBe(name);
    }
  });

  it.each([
    ['{pages}', '`{pages}` (string)'],
    ['pa{ges', '`pa{ges` (string)'],
    ['pages}', '`pages}` (string)'],
    ['my pages', '`my pages` (string)'],
    ['pages\n', '`pages\n` (string)'],
    ['tab\there', '`tab\there` (string)'],
  ])('refuses %j', (name, shown) => {
    const error = catchError(() => checkQueueName(name));
    expect(error).toBeInstanceOf(OptionRangeError);
    expect(error.message).toBe(
      `Expected \`name\` to be a queue name without braces or white space, got ${shown}`,
    );
  });

  it('refuses an empty or non-string name', () => {
    expect(() => checkQueueName('')).toThrow(OptionRangeError);
    const error = catchError(() => checkQueueName(7));
    expect(error).toBeInstanceOf(OptionTypeError);
    expect(error.message).toBe('Expected `name` to be a string, got `7` (number)');
  });
});
