import { DEFAULT_BACKOFF, resolveBackoff, type Backoff, type ResolvedBackoff } from './backoff.js';
import { checkConnection, DEFAULT_REDIS_URL, type ConnectionOption } from './connection.js';
import { redisUrlFromEnv } from './env.js';
import { OptionRangeError } from './errors.js';
import {
  MAX_TIMER_MS,
  NO_JOB_DEFAULTS,
  resolveJobOptions,
  type DefaultJobOptions,
  type ResolvedJobOptions,
} from './job-options.js';
import type { ConcurrencyRange } from './adaptive-concurrency.js';
import type { AnyJob, DefaultJobMap, Job } from './job.js';
import { NO_LIMITER, resolveLimiter, type LimiterWindow, type ResolvedLimiter } from './limiter.js';
import type { GroupPolicy } from './redis/protocol/move.js';
import { consoleLogger, safeLogger, silentLogger, type Logger } from './logger.js';
import {
  checkFunction,
  checkInteger,
  checkKnownKeys,
  checkObject,
  checkString,
  describeValue,
  invalid,
} from './validate.js';

/** Options shared by `Queue` and `WorkerPool`. */
export interface ConnectionOptions {
  /**
   * Redis to use: a URL, ioredis options, or an ioredis `Redis`/`Cluster`.
   * When left out, the `REDIS_URL` environment variable, else `REDIS_PUBLIC_URL`
   * (Railway), read when the `Queue` or `WorkerPool` is constructed.
   * @default process.env.REDIS_URL ?? process.env.REDIS_PUBLIC_URL ?? 'redis://127.0.0.1:6379'
   */
  connection?: ConnectionOption;
  /**
   * First part of every key, so several apps can share one Redis. A queue's
   * keys are `<prefix>:{<queue name>}:...`.
   * @default 'rwp'
   */
  prefix?: string;
  /**
   * Where log lines go: any object with `info`, `warn` and `error`; `false` for none.
   * @default console
   */
  logger?: Logger | false;
}

export interface QueueOptions extends ConnectionOptions {
  /** Options every job gets unless `add()` says otherwise. */
  defaultJobOptions?: DefaultJobOptions;
  /**
   * Largest job payload, in bytes of JSON; `add()` refuses larger ones.
   * @default 1048576 (1 MiB)
   */
  maxPayloadSize?: number;
}

export interface WorkerPoolOptions<J = DefaultJobMap> extends ConnectionOptions {
  /**
   * Jobs run at the same time by this pool (its worker slots). A number is
   * fixed. `{ min, max }` is adaptive: the pool starts at `min`, raises the
   * figure while answers come at their usual latency and jobs wait, and cuts
   * it on a `RateLimitError`, a timeout or answers slowing down, never beyond
   * `max` nor below `min` (see docs/concepts.md). Env: `CONCURRENT_WORKERS`
   * (fixed) or `MAX_WORKERS` (adaptive, `{ min: 1, max }`).
   * @default 5
   */
  concurrency?: number | ConcurrencyRange;
  /**
   * Milliseconds each worker slot rests after a job before taking the next,
   * to spread calls to a rate-limited API. Env: `PROCESSING_DELAY`.
   * @default 0
   */
  processingDelay?: number;
  /**
   * Milliseconds one attempt may run; then its signal is aborted and the
   * attempt fails with a retryable `JobTimeoutError`. A job's own `timeout`
   * wins. Env: `GENERATION_TIMEOUT`.
   * @default 90000
   */
  timeout?: number;
  /**
   * Longest single blocking wait for work, in ms. An idle pool is woken by
   * Redis the moment a job is added; this only bounds how long one wait
   * lasts (and so how soon an idle pool notices an expired lease elsewhere).
   * Env: `POLL_INTERVAL`.
   * @default 1000
   */
  pollInterval?: number;
  /** Attempts per job, the first included, for jobs that set none. Env: `MAX_RETRIES` + 1. @default 4 */
  attempts?: number;
  /** Wait between attempts, for jobs that set none. @default { type: 'exponential', delay: 1000, maxDelay: 60000, jitter: 0.2 } */
  backoff?: Backoff;
  /**
   * Milliseconds a claim holds a job without renewal. The pool renews its
   * leases every third of this while handlers run; a job whose pool crashed
   * is taken over by another pool once its lease runs out.
   * @default 30000
   */
  leaseDuration?: number;
  /**
   * Milliseconds `close()` lets running jobs finish before handing them back
   * to `waiting`. Keep it below your platform's kill timeout (Docker: 10 s).
   * @default 10000
   */
  gracePeriod?: number;
  /** Milliseconds between `stats` events and `[Stats]` log lines; `0` for none. @default 60000 */
  statsInterval?: number;
  /**
   * Rate limits shared by every pool of the queue, enforced in Redis as part
   * of each claim (atomically, across all pools and processes): one window or
   * an array of windows. A window `{ max, duration }` lets at most `max` jobs
   * start in any `duration` ms; with `by: 'cost'` it counts the jobs' cost
   * units instead (`add(..., { cost })`, settled by `ctx.reportCost(n)`): a
   * tokens-per-minute budget. Give every pool of the queue the same limiter.
   * @default none
   */
  limiter?: LimiterWindow | readonly LimiterWindow[];
  /**
   * Fewest milliseconds between two writes of one job's progress
   * (`ctx.progress()`): calls in between are coalesced, the latest wins.
   * @default 100
   */
  progressInterval?: number;
  /**
   * Limits for each group of jobs (`add(..., { group })`), enforced in Redis
   * across every pool and process: at most `concurrency` jobs of one group
   * active at once, and `limiter`'s windows (the same shape as the pool's
   * `limiter`: job starts, or cost units with `by: 'cost'`) for each group on
   * its own. A group at a limit is skipped; the others go on. Give every pool
   * of the queue the same limits.
   * @default none
   */
  group?: GroupLimits;
  /**
   * Longest hold, in ms, that a handler's `RateLimitError` puts on the queue
   * (and longest wait before that job's next try). A longer `retryAfter` (a
   * proxy's `retry-after: 2592000`, a date read as seconds) is cut to this, so
   * one bad header cannot freeze every pool for days. `queue.resume()` ends a
   * hold early.
   * @default 300000 (5 minutes)
   */
  maxRateLimitHold?: number;
  /**
   * How a job is named in log lines. Default: `ID=17, Name=page`, plus
   * `Batch=<id>, Index=<n>` for batch jobs.
   */
  jobLabel?: (job: AnyJob<J>) => string;
}

/** Per-group limits of a pool (`group` option). */
export interface GroupLimits {
  /** Jobs of one group active at once, across every pool. @default no limit */
  concurrency?: number;
  /**
   * Windows for each group on its own, the same shape as the pool's `limiter`:
   * at most `max` jobs of one group start in any window of `duration` ms, or,
   * with `by: 'cost'`, at most `max` of its jobs' cost units (settled by
   * `ctx.reportCost(n)`). One window or an array of windows.
   * @default none
   */
  limiter?: LimiterWindow | readonly LimiterWindow[];
}

export interface ResolvedConnectionOptions {
  readonly connection: ConnectionOption;
  readonly prefix: string;
  readonly logger: Logger;
}

export interface ResolvedQueueOptions extends ResolvedConnectionOptions {
  readonly defaultJobOptions: ResolvedJobOptions;
  readonly maxPayloadSize: number;
}

export interface ResolvedPoolOptions extends ResolvedConnectionOptions {
  /** Worker slots: the fixed figure, or `max` of an adaptive range. */
  readonly concurrency: number;
  /** `concurrency: { min, max }`; undefined for a fixed figure. */
  readonly adaptiveConcurrency: ConcurrencyRange | undefined;
  readonly processingDelay: number;
  readonly timeout: number;
  readonly pollInterval: number;
  readonly attempts: number;
  readonly backoff: ResolvedBackoff;
  readonly leaseDuration: number;
  readonly gracePeriod: number;
  readonly statsInterval: number;
  /** Windows by what they count; both empty for no limit. */
  readonly limiter: ResolvedLimiter;
  /** undefined: no per-group limits. */
  readonly group: GroupPolicy | undefined;
  readonly maxRateLimitHold: number;
  readonly jobLabel: ((job: Job) => string) | undefined;
  readonly progressInterval: number;
}

export const DEFAULT_POOL_OPTIONS = Object.freeze({
  connection: DEFAULT_REDIS_URL,
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

export const DEFAULT_QUEUE_OPTIONS = Object.freeze({
  connection: DEFAULT_REDIS_URL,
  prefix: 'rwp',
  maxPayloadSize: 1024 * 1024,
});

const CONNECTION_KEYS = ['connection', 'prefix', 'logger'] as const;
const QUEUE_KEYS = [...CONNECTION_KEYS, 'defaultJobOptions', 'maxPayloadSize'] as const;
const POOL_KEYS = [
  ...CONNECTION_KEYS,
  'concurrency',
  'processingDelay',
  'timeout',
  'pollInterval',
  'attempts',
  'backoff',
  'leaseDuration',
  'gracePeriod',
  'statsInterval',
  'limiter',
  'group',
  'maxRateLimitHold',
  'jobLabel',
  'progressInterval',
] as const;

/** A queue name becomes a Redis hash tag: it must not hold braces, which would change the slot. */
export function checkQueueName(value: unknown): string {
  const name = checkString('name', value);
  if (/[{}\s]/.test(name)) {
    throw new OptionRangeError(
      `Expected \`name\` to be a queue name without braces or white space, got ${describeValue(value)}`,
      'name',
    );
  }
  return name;
}

function resolveConnectionOptions(o: Record<string, unknown>): ResolvedConnectionOptions {
  const prefix =
    o.prefix === undefined ? DEFAULT_POOL_OPTIONS.prefix : checkString('prefix', o.prefix);
  if (/[{}\s]/.test(prefix)) {
    throw new OptionRangeError(
      `Expected \`prefix\` to be a string without braces or white space, got ${describeValue(prefix)}`,
      'prefix',
    );
  }
  return {
    connection:
      o.connection === undefined
        ? defaultConnection()
        : checkConnection('connection', o.connection),
    prefix,
    logger: resolveLogger(o.logger),
  };
}

/**
 * Where a `Queue` or `WorkerPool` without `connection` goes: the same Redis as the
 * CLI and `optionsFromEnv()`. Read at construction, never at import. A bad
 * `REDIS_URL` throws an `OptionTypeError` naming the variable, not its value.
 */
export function defaultConnection(
  env: Readonly<Record<string, string | undefined>> = process.env,
): string {
  return redisUrlFromEnv(env) ?? DEFAULT_REDIS_URL;
}

function resolveLogger(value: unknown): Logger {
  if (value === undefined) return consoleLogger;
  if (value === false) return silentLogger;
  if (
    typeof value === 'object' &&
    value !== null &&
    ['info', 'warn', 'error'].every(
      (m) => typeof (value as Record<string, unknown>)[m] === 'function',
    )
  ) {
    return safeLogger(value as Logger);
  }
  return invalid('logger', 'an object with `info`, `warn` and `error` methods, or `false`', value);
}

export function resolveQueueOptions(options: unknown): ResolvedQueueOptions {
  const o = options === undefined ? {} : checkObject('options', options);
  checkKnownKeys('Queue options', o, QUEUE_KEYS);
  return Object.freeze({
    ...resolveConnectionOptions(o),
    defaultJobOptions: resolveJobOptions(
      'defaultJobOptions',
      o.defaultJobOptions,
      NO_JOB_DEFAULTS,
      { allowJobId: false },
    ),
    maxPayloadSize:
      o.maxPayloadSize === undefined
        ? DEFAULT_QUEUE_OPTIONS.maxPayloadSize
        : checkInteger('maxPayloadSize', o.maxPayloadSize, { min: 1, max: 512 * 1024 * 1024 }),
  });
}

export function resolvePoolOptions(options: unknown): ResolvedPoolOptions {
  const o = options === undefined ? {} : checkObject('options', options);
  checkKnownKeys('WorkerPool options', o, POOL_KEYS);
  const d = DEFAULT_POOL_OPTIONS;
  const int = (name: keyof typeof d & keyof typeof o, min: number, max = MAX_TIMER_MS): number =>
    o[name] === undefined ? (d[name] as number) : checkInteger(name, o[name], { min, max });
  const adaptiveConcurrency = resolveConcurrencyRange(o.concurrency);
  const resolved: ResolvedPoolOptions = {
    ...resolveConnectionOptions(o),
    concurrency: adaptiveConcurrency ? adaptiveConcurrency.max : int('concurrency', 1, 10_000),
    adaptiveConcurrency,
    processingDelay: int('processingDelay', 0),
    timeout: int('timeout', 1),
    pollInterval: int('pollInterval', 10),
    attempts: int('attempts', 1, 1_000_000),
    backoff: o.backoff === undefined ? d.backoff : resolveBackoff('backoff', o.backoff),
    leaseDuration: int('leaseDuration', 50),
    gracePeriod: int('gracePeriod', 0),
    statsInterval: int('statsInterval', 0),
    limiter: o.limiter === undefined ? NO_LIMITER : resolveLimiter(o.limiter),
    progressInterval: int('progressInterval', 0),
    group: o.group === undefined ? undefined : resolveGroupLimits(o.group),
    maxRateLimitHold: int('maxRateLimitHold', 1),
    jobLabel:
      o.jobLabel === undefined
        ? undefined
        : checkFunction<(job: Job) => string>('jobLabel', o.jobLabel),
  };
  return Object.freeze(resolved);
}

const MAX_CONCURRENCY = 10_000;

/** `concurrency: { min, max }`, checked; undefined for anything else, checked by the caller. */
function resolveConcurrencyRange(value: unknown): ConcurrencyRange | undefined {
  // Anything but a plain object goes to the integer check, and its message.
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const o = value as Record<string, unknown>;
  checkKnownKeys('`concurrency`', o, ['min', 'max']);
  const bounds = { min: 1, max: MAX_CONCURRENCY };
  const min = o.min === undefined ? 1 : checkInteger('concurrency.min', o.min, bounds);
  const max = checkInteger('concurrency.max', o.max, bounds);
  if (max < min) {
    invalid('concurrency.max', `an integer >= \`concurrency.min\` (${min})`, max, {
      range: true,
    });
  }
  return Object.freeze({ min, max });
}

function resolveGroupLimits(value: unknown): GroupPolicy {
  const o = checkObject('group', value);
  checkKnownKeys('`group`', o, ['concurrency', 'limiter']);
  return Object.freeze({
    concurrency:
      o.concurrency === undefined
        ? 0
        : checkInteger('group.concurrency', o.concurrency, { min: 1, max: 1_000_000 }),
    limiter: o.limiter === undefined ? NO_LIMITER : resolveLimiter(o.limiter, 'group.limiter'),
  });
}
