import { checkInteger, checkKnownKeys, checkNumber, checkObject, checkOneOf } from './validate.js';

/**
 * How long to wait before the next attempt of a failed job.
 * A number is shorthand for `{ type: 'exponential', delay: n }`.
 */
export type Backoff = number | BackoffOptions;

export interface BackoffOptions {
  /**
   * `exponential`: `delay * 2^(attempt - 1)`; `fixed`: `delay` every time.
   * @default 'exponential'
   */
  type?: 'exponential' | 'fixed';
  /** Base delay in milliseconds. @default 1000 */
  delay?: number;
  /** Upper bound of one delay, in milliseconds, before jitter. @default 60000 */
  maxDelay?: number;
  /**
   * Fraction of the delay drawn at random and taken off, so that jobs that
   * failed together (a 429 storm) do not all come back in the same instant.
   * `0` for none, `1` for "full jitter".
   * @default 0.2
   */
  jitter?: number;
}

export type ResolvedBackoff = Readonly<Required<BackoffOptions>>;

/**
 * The longest delay a timer can hold (2^31 - 1 ms, about 24.8 days), and so
 * the upper bound of every time option. Kept here rather than imported from
 * job-options.ts, which imports this module.
 */
const MAX_DELAY_MS = 2 ** 31 - 1;

export const DEFAULT_BACKOFF: ResolvedBackoff = Object.freeze({
  type: 'exponential',
  delay: 1000,
  maxDelay: 60_000,
  jitter: 0.2,
});

const BACKOFF_KEYS = ['type', 'delay', 'maxDelay', 'jitter'] as const;

/** Validate a user's backoff option and fill in the defaults. */
export function resolveBackoff(name: string, value: unknown): ResolvedBackoff {
  if (typeof value === 'number') {
    return Object.freeze({
      ...DEFAULT_BACKOFF,
      delay: checkInteger(name, value, { min: 0, max: MAX_DELAY_MS }),
    });
  }
  const options = checkObject(name, value);
  checkKnownKeys(`\`${name}\``, options, BACKOFF_KEYS);
  const resolved = {
    type:
      options.type === undefined
        ? DEFAULT_BACKOFF.type
        : checkOneOf(`${name}.type`, options.type, ['exponential', 'fixed'] as const),
    delay:
      options.delay === undefined
        ? DEFAULT_BACKOFF.delay
        : checkInteger(`${name}.delay`, options.delay, { min: 0, max: MAX_DELAY_MS }),
    maxDelay:
      options.maxDelay === undefined
        ? DEFAULT_BACKOFF.maxDelay
        : checkInteger(`${name}.maxDelay`, options.maxDelay, { min: 0, max: MAX_DELAY_MS }),
    jitter:
      options.jitter === undefined
        ? DEFAULT_BACKOFF.jitter
        : checkNumber(`${name}.jitter`, options.jitter, { min: 0, max: 1 }),
  };
  return Object.freeze(resolved);
}

/**
 * The delay before the attempt after `failedAttempt` (1-based).
 * Pure: `random` is injectable so tests can pin the jitter.
 */
export function backoffDelay(
  backoff: ResolvedBackoff,
  failedAttempt: number,
  random: () => number = Math.random,
): number {
  const attempt = Number.isNaN(failedAttempt) ? 1 : failedAttempt;
  const exponent = backoff.type === 'exponential' ? Math.max(0, attempt - 1) : 0;
  // Cap the exponent too: 2^1100 is Infinity, and Infinity * 0 would be NaN.
  const raw = backoff.delay * 2 ** Math.min(exponent, 50);
  // MAX_DELAY_MS too: a backoff built without resolveBackoff() must not schedule a retry years out.
  const capped = Math.min(raw, backoff.maxDelay, MAX_DELAY_MS);
  const delay = Math.round(capped * (1 - backoff.jitter * random()));
  return Number.isFinite(delay) ? Math.min(Math.max(0, delay), MAX_DELAY_MS) : MAX_DELAY_MS;
}
