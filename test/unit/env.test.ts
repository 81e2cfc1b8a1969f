import { describe, it, expect } from 'vitest';
import { ENV_DEFAULTS, optionsFromEnv, redisUrlFromEnv } from '../../src/env.js';
import { OptionRangeError, OptionTypeError } from '../../src/errors.js';
import { resolvePoolOptions } from '../../src/options.js';
import { catchError } from './catch-error.js';

const MAX = 2 ** 31 - 1;

describe('optionsFromEnv defaults', () => {
  it('takes the original deployment’s defaults when nothing is set', () => {
    expect(optionsFromEnv({})).toEqual({
      concurrency: 5,
      processingDelay: 500,
      timeout: 90_000,
      pollInterval: 1000,
      attempts: 4,
    });
  });

  it('has no connection when neither Redis variable is set', () => {
    expect(optionsFromEnv({})).not.toHaveProperty('connection');
  });

  it('documents its defaults', () => {
    expect(ENV_DEFAULTS).toEqual({
      CONCURRENT_WORKERS: 5,
      PROCESSING_DELAY: 500,
      GENERATION_TIMEOUT: 90_000,
      POLL_INTERVAL: 1000,
      MAX_RETRIES: 3,
    });
  });

  it('gives options that resolvePoolOptions accepts', () => {
    const env = { CONCURRENT_WORKERS: '3', REDIS_URL: 'redis://r:6379' };
    expect(resolvePoolOptions(optionsFromEnv(env))).toMatchObject({
      concurrency: 3,
      processingDelay: 500,
      connection: 'redis://r:6379',
    });
  });
});

describe('optionsFromEnv reads each variable', () => {
  it('reads every variable', () => {
    expect(
      optionsFromEnv({
        CONCURRENT_WORKERS: '10',
        PROCESSING_DELAY: '0',
        GENERATION_TIMEOUT: '30000',
        POLL_INTERVAL: '250',
        MAX_RETRIES: '5',
      }),
    ).toEqual({
      concurrency: 10,
      processingDelay: 0,
      timeout: 30_000,
      pollInterval: 250,
      attempts: 6,
    });
  });

  it('reads MAX_RATE_LIMIT_HOLD only when it is set', () => {
    expect(optionsFromEnv({ MAX_RATE_LIMIT_HOLD: '60000' }).maxRateLimitHold).toBe(60_000);
    expect(optionsFromEnv({})).not.toHaveProperty('maxRateLimitHold');
    expect(() => optionsFromEnv({ MAX_RATE_LIMIT_HOLD: '0' })).toThrow(
      'Expected `MAX_RATE_LIMIT_HOLD` to be an integer from 1 to 2147483647, got `0` (string)',
    );
  });

  it('turns MAX_RETRIES into attempts, the first included', () => {
    expect(optionsFromEnv({ MAX_RETRIES: '3' }).attempts).toBe(4);
    expect(optionsFromEnv({ MAX_RETRIES: '0' }).attempts).toBe(1);
  });

  it('trims white space and accepts a leading plus', () => {
    expect(optionsFromEnv({ CONCURRENT_WORKERS: ' 7 \n' }).concurrency).toBe(7);
    expect(optionsFromEnv({ CONCURRENT_WORKERS: '+2' }).concurrency).toBe(2);
  });

  it('makes the pool adaptive with MAX_WORKERS, in place of CONCURRENT_WORKERS', () => {
    expect(optionsFromEnv({ MAX_WORKERS: '32' }).concurrency).toEqual({ min: 1, max: 32 });
    expect(optionsFromEnv({ MAX_WORKERS: '8', CONCURRENT_WORKERS: '3' }).concurrency).toEqual({
      min: 1,
      max: 8,
    });
    expect(optionsFromEnv({ CONCURRENT_WORKERS: '3' }).concurrency).toBe(3);
  });

  it('accepts the bounds', () => {
    expect(optionsFromEnv({ CONCURRENT_WORKERS: '10000' }).concurrency).toBe(10_000);
    expect(optionsFromEnv({ POLL_INTERVAL: '10' }).pollInterval).toBe(10);
    expect(optionsFromEnv({ GENERATION_TIMEOUT: String(MAX) }).timeout).toBe(MAX);
  });
});

const type = OptionTypeError;
const range = OptionRangeError;
const vars = [
  ['CONCURRENT_WORKERS', 1, 10_000],
  ['PROCESSING_DELAY', 0, MAX],
  ['GENERATION_TIMEOUT', 1, MAX],
  ['POLL_INTERVAL', 10, MAX],
  ['MAX_RETRIES', 0, 999_999],
  ['MAX_WORKERS', 1, 10_000],
] as const;
const badValues = [
  ['abc', type, '`abc` (string)'],
  ['-1', range, '`-1` (string)'],
  ['', type, '`""` (empty string)'],
  ['   ', type, '`   ` (string)'],
  ['1.5', type, '`1.5` (string)'],
  ['NaN', type, '`NaN` (string)'],
  ['Infinity', type, '`Infinity` (string)'],
  ['1e3', type, '`1e3` (string)'],
  ['0x10', type, '`0x10` (string)'],
  ['5 workers', type, '`5 workers` (string)'],
  ['99999999999999999999', range, '`99999999999999999999` (string)'],
] as const;

describe.each(vars)('optionsFromEnv refuses a bad %s', (name, min, max) => {
  it.each(badValues)('%j', (raw, Kind, shown) => {
    const error = catchError(() => optionsFromEnv({ [name]: raw }));
    expect(error).toBeInstanceOf(Kind);
    expect(error.message).toBe(
      `Expected \`${name}\` to be an integer from ${min} to ${max}, got ${shown}`,
    );
    expect((error as OptionTypeError | OptionRangeError).option).toBe(name);
  });

  it('one below its minimum', () => {
    const raw = String(min - 1);
    const error = catchError(() => optionsFromEnv({ [name]: raw }));
    expect(error).toBeInstanceOf(OptionRangeError);
    expect(error.message).toBe(
      `Expected \`${name}\` to be an integer from ${min} to ${max}, got \`${raw}\` (string)`,
    );
  });

  it('one above its maximum', () => {
    const raw = String(max + 1);
    const error = catchError(() => optionsFromEnv({ [name]: raw }));
    expect(error).toBeInstanceOf(OptionRangeError);
    expect(error.message).toContain(`\`${name}\``);
  });
});

describe('optionsFromEnv refuses 0 where the minimum is 1', () => {
  it.each(['CONCURRENT_WORKERS', 'GENERATION_TIMEOUT'])('%s=0', (name) => {
    const error = catchError(() => optionsFromEnv({ [name]: '0' }));
    expect(error).toBeInstanceOf(OptionRangeError);
    expect(error.message).toBe(
      `Expected \`${name}\` to be an integer from 1 to ${name === 'CONCURRENT_WORKERS' ? 10_000 : MAX}, got \`0\` (string)`,
    );
  });
});

describe('rate limits from the environment', () => {
  it('builds a requests-per-minute and a tokens-per-minute window', () => {
    const options = optionsFromEnv({ RATE_LIMIT_RPM: '500', RATE_LIMIT_TPM: ' 200000 ' });
    expect(options.limiter).toEqual([
      { max: 500, duration: 60_000 },
      { max: 200_000, duration: 60_000, by: 'cost' },
    ]);
    expect(resolvePoolOptions(options).limiter).toEqual({
      jobs: [{ max: 500, duration: 60_000 }],
      cost: [{ max: 200_000, duration: 60_000 }],
    });
  });

  it('sets no limiter when neither is set, and one window for one', () => {
    expect(optionsFromEnv({})).not.toHaveProperty('limiter');
    expect(optionsFromEnv({ RATE_LIMIT_TPM: '1000' }).limiter).toEqual([
      { max: 1000, duration: 60_000, by: 'cost' },
    ]);
  });

  it('refuses a bad value, naming the variable', () => {
    const error = catchError(() => optionsFromEnv({ RATE_LIMIT_TPM: 'lots' }));
    expect(error).toBeInstanceOf(OptionTypeError);
    expect((error as Error).message).toBe(
      'Expected `RATE_LIMIT_TPM` to be an integer from 1 to 1000000000000000, got `lots` (string)',
    );
    const zero = catchError(() => optionsFromEnv({ RATE_LIMIT_RPM: '0' }));
    expect(zero).toBeInstanceOf(OptionRangeError);
    expect((zero as Error).message).toBe(
      'Expected `RATE_LIMIT_RPM` to be an integer from 1 to 1000000, got `0` (string)',
    );
  });
});

describe('Redis URL from the environment', () => {
  it('reads REDIS_URL', () => {
    expect(optionsFromEnv({ REDIS_URL: 'redis://cache:6379' }).connection).toBe(
      'redis://cache:6379',
    );
  });

  it('falls back to REDIS_PUBLIC_URL', () => {
    expect(optionsFromEnv({ REDIS_PUBLIC_URL: 'rediss://public:6380' }).connection).toBe(
      'rediss://public:6380',
    );
  });

  it('prefers REDIS_URL over REDIS_PUBLIC_URL', () => {
    const env = { REDIS_URL: 'redis://private:6379', REDIS_PUBLIC_URL: 'redis://public:6379' };
    expect(optionsFromEnv(env).connection).toBe('redis://private:6379');
    expect(redisUrlFromEnv(env)).toBe('redis://private:6379');
  });

  it('trims white space around the URL', () => {
    expect(redisUrlFromEnv({ REDIS_URL: '  redis://h:1 \n' })).toBe('redis://h:1');
  });

  it('returns undefined when neither is set', () => {
    expect(redisUrlFromEnv({})).toBeUndefined();
  });

  it('keeps a password in a good URL', () => {
    expect(redisUrlFromEnv({ REDIS_URL: 'redis://default:pw@h:6379/0' })).toBe(
      'redis://default:pw@h:6379/0',
    );
  });

  it('refuses a URL that is not redis:// without echoing its password', () => {
    const error = catchError(() => optionsFromEnv({ REDIS_URL: 'http://user:s3cret@host' }));
    expect(error).toBeInstanceOf(OptionTypeError);
    expect(error.message).toBe(
      'Expected `REDIS_URL` to be a redis:// or rediss:// URL, got a `http://` URL or one without a host',
    );
    expect(error.message).not.toContain('s3cret');
    expect(error.message).not.toContain('user');
    expect((error as OptionTypeError).option).toBe('REDIS_URL');
  });

  it('refuses an unparsable redis URL without echoing its password', () => {
    const error = catchError(() =>
      optionsFromEnv({ REDIS_PUBLIC_URL: 'redis://user:s3cret@host:notaport' }),
    );
    expect(error).toBeInstanceOf(OptionTypeError);
    expect(error.message).toContain('`REDIS_PUBLIC_URL`');
    expect(error.message).not.toContain('s3cret');
  });

  it('refuses a value without a scheme without echoing any of it', () => {
    for (const value of ['s3cret@host:6379', 'mypassword']) {
      const error = catchError(() => optionsFromEnv({ REDIS_URL: value }));
      expect(error.message).toBe(
        'Expected `REDIS_URL` to be a redis:// or rediss:// URL, got a value that is not a URL (not shown: it may hold a password)',
      );
    }
  });

  it('refuses a redis:// URL without a host', () => {
    expect(() => optionsFromEnv({ REDIS_URL: 'redis://' })).toThrow(/one without a host/);
  });

  it('refuses an empty REDIS_URL rather than falling back', () => {
    const error = catchError(() =>
      optionsFromEnv({ REDIS_URL: '', REDIS_PUBLIC_URL: 'redis://public:6379' }),
    );
    expect(error).toBeInstanceOf(OptionTypeError);
    expect(error.message).toBe(
      'Expected `REDIS_URL` to be a redis:// or rediss:// URL, got `""` (empty string)',
    );
  });

  it('checks the REDIS_PUBLIC_URL it falls back to', () => {
    const error = catchError(() => optionsFromEnv({ REDIS_PUBLIC_URL: 'localhost:6379' }));
    expect(error).toBeInstanceOf(OptionTypeError);
    expect(error.message).toMatch(/^Expected `REDIS_PUBLIC_URL` to be a redis:\/\//);
  });
});
