import type { ConcurrencyRange } from './adaptive-concurrency.js';
import { OptionRangeError, OptionTypeError } from './errors.js';
import { MAX_COST, MAX_TIMER_MS } from './job-options.js';
import type { LimiterWindow } from './limiter.js';
import { describeValue } from './validate.js';

/**
 * The environment variables of the original deployment, and what they set.
 * Unset variables take the original deployment's defaults, so a pool built
 * from `optionsFromEnv()` behaves like the original did, including the
 * 500 ms `PROCESSING_DELAY`.
 */
export const ENV_DEFAULTS = Object.freeze({
  CONCURRENT_WORKERS: 5,
  PROCESSING_DELAY: 500,
  GENERATION_TIMEOUT: 90_000,
  POLL_INTERVAL: 1000,
  MAX_RETRIES: 3,
});

/** What `optionsFromEnv()` returns: spread it into `WorkerPoolOptions`. */
export interface EnvPoolOptions {
  /** `CONCURRENT_WORKERS`, or `{ min: 1, max: MAX_WORKERS }` (adaptive) when `MAX_WORKERS` is set. */
  concurrency: number | ConcurrencyRange;
  /** `PROCESSING_DELAY` (ms) */
  processingDelay: number;
  /** `GENERATION_TIMEOUT` (ms) */
  timeout: number;
  /** `POLL_INTERVAL` (ms) */
  pollInterval: number;
  /** `MAX_RETRIES` + 1 */
  attempts: number;
  /** `REDIS_URL`, else `REDIS_PUBLIC_URL` (Railway); absent when neither is set. */
  connection?: string;
  /**
   * `RATE_LIMIT_RPM` (jobs started per minute) and `RATE_LIMIT_TPM` (cost
   * units, such as tokens, per minute: a `by: 'cost'` window); absent when
   * neither is set.
   */
  limiter?: LimiterWindow[];
  /** `MAX_RATE_LIMIT_HOLD` (ms); absent when unset (the pool's default applies). */
  maxRateLimitHold?: number;
}

type Env = Readonly<Record<string, string | undefined>>;

function readInteger(env: Env, name: keyof typeof ENV_DEFAULTS, min: number, max: number): number {
  return readOptionalInteger(env, name, min, max) ?? ENV_DEFAULTS[name];
}

/** A variable the original deployment did not have: `undefined` when unset. */
function readOptionalInteger(env: Env, name: string, min: number, max: number): number | undefined {
  const raw = env[name];
  if (raw === undefined) return undefined;
  const expected = `an integer from ${min} to ${max}`;
  const text = raw.trim();
  if (!/^[+-]?\d+$/.test(text)) {
    throw new OptionTypeError(
      `Expected \`${name}\` to be ${expected}, got ${describeValue(raw)}`,
      name,
    );
  }
  const value = Number(text);
  if (value < min || value > max) {
    throw new OptionRangeError(
      `Expected \`${name}\` to be ${expected}, got ${describeValue(raw)}`,
      name,
    );
  }
  return value;
}

/**
 * `REDIS_URL`, else `REDIS_PUBLIC_URL` (Railway's name for the public URL), or
 * `undefined`. The value is checked but never echoed in an error: it may hold
 * a password.
 */
export function redisUrlFromEnv(env: Env = process.env): string | undefined {
  for (const name of ['REDIS_URL', 'REDIS_PUBLIC_URL'] as const) {
    const raw = env[name];
    if (raw === undefined) continue;
    const url = raw.trim();
    let ok: boolean;
    try {
      const parsed = new URL(url);
      ok = /^rediss?:$/.test(parsed.protocol) && parsed.hostname !== '';
    } catch {
      ok = false;
    }
    if (!ok) {
      // Show at most the scheme: anything else may be a password.
      const scheme = /^([a-z][a-z0-9+.-]{0,15}):\/\//i.exec(url)?.[1];
      const shown =
        url === ''
          ? '`""` (empty string)'
          : scheme
            ? `a \`${scheme}://\` URL or one without a host`
            : 'a value that is not a URL (not shown: it may hold a password)';
      throw new OptionTypeError(
        `Expected \`${name}\` to be a redis:// or rediss:// URL, got ${shown}`,
        name,
      );
    }
    return url;
  }
  return undefined;
}

/**
 * Read the original deployment's environment variables into pool options:
 *
 * ```ts
 * const pool = new WorkerPool('pages', handlers, { ...optionsFromEnv(), logger });
 * ```
 *
 * `MAX_WORKERS=N` makes the pool adaptive (`concurrency: { min: 1, max: N }`),
 * in place of `CONCURRENT_WORKERS`.
 *
 * Throws an `OptionTypeError` / `OptionRangeError` naming the variable for a
 * bad value (`CONCURRENT_WORKERS=abc`, `-1`, `0`, an empty string).
 */
export function optionsFromEnv(env: Env = process.env): EnvPoolOptions {
  const int = (name: keyof typeof ENV_DEFAULTS, min: number, max: number): number =>
    readInteger(env, name, min, max);
  const fixed = int('CONCURRENT_WORKERS', 1, 10_000);
  const maxWorkers = readOptionalInteger(env, 'MAX_WORKERS', 1, 10_000);
  const options: EnvPoolOptions = {
    // MAX_WORKERS wins: it is the newer setting, added next to an old CONCURRENT_WORKERS.
    concurrency: maxWorkers === undefined ? fixed : { min: 1, max: maxWorkers },
    processingDelay: int('PROCESSING_DELAY', 0, MAX_TIMER_MS),
    timeout: int('GENERATION_TIMEOUT', 1, MAX_TIMER_MS),
    pollInterval: int('POLL_INTERVAL', 10, MAX_TIMER_MS),
    attempts: int('MAX_RETRIES', 0, 999_999) + 1,
  };
  const url = redisUrlFromEnv(env);
  if (url !== undefined) options.connection = url;
  const rpm = readOptionalInteger(env, 'RATE_LIMIT_RPM', 1, 1_000_000);
  const tpm = readOptionalInteger(env, 'RATE_LIMIT_TPM', 1, MAX_COST);
  if (rpm !== undefined || tpm !== undefined) options.limiter = perMinute(rpm, tpm);
  const hold = readOptionalInteger(env, 'MAX_RATE_LIMIT_HOLD', 1, MAX_TIMER_MS);
  if (hold !== undefined) options.maxRateLimitHold = hold;
  return options;
}

/** The `limiter` windows of a requests-per-minute and a cost-units-per-minute budget (either may be absent). */
export function perMinute(rpm: number | undefined, tpm: number | undefined): LimiterWindow[] {
  const windows: LimiterWindow[] = [];
  if (rpm !== undefined) windows.push({ max: rpm, duration: 60_000 });
  if (tpm !== undefined) windows.push({ max: tpm, duration: 60_000, by: 'cost' });
  return windows;
}
