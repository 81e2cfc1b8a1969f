/**
 * The limits a job runs into: the model API's rate limit and quota, thrown by
 * a handler, and the cost windows of the pool's `limiter`.
 */
import { UnrecoverableError } from './attempt-errors.js';
import { brand, hasBrand, type ErrorOptions } from './brand.js';
import { OptionRangeError } from './option-errors.js';
import { WorkerPoolError } from './worker-pool-error.js';

/** What a `RateLimitError`'s delay holds: the whole queue, or the job's group only. */
export type RateLimitScope = 'queue' | 'group';

/** Options of `RateLimitError`: the usual `cause`, and what the delay holds. */
export interface RateLimitErrorOptions extends ErrorOptions {
  /** @default 'queue' */
  scope?: RateLimitScope;
}

/** A scope as shown in the error for a bad one (validate.ts imports the errors, so not its describeValue). */
function describeScope(value: unknown): string {
  return typeof value === 'string'
    ? `\`${value.slice(0, 60)}\` (string)`
    : `\`${String(value)}\` (${typeof value})`;
}

/**
 * Throw this from a handler when the service it calls says "too many
 * requests, retry after N ms" (an HTTP 429 with `retry-after`): no pool of the
 * queue starts another job until `retryAfter` ms have passed, and this job is
 * tried again then without spending one of its attempts.
 */
export class RateLimitError extends WorkerPoolError {
  static override readonly code = 'ERR_RATE_LIMITED';
  static {
    brand(this, this.code);
  }
  /** Milliseconds to hold the queue (or the job's group), and to wait before this job's next try. */
  readonly retryAfter: number;
  /**
   * What the delay holds: `'queue'`, every pool of the queue (the default), or
   * `'group'`, only the jobs of this job's group (the model or tenant behind
   * it). A job with no group holds the queue either way.
   */
  readonly scope: RateLimitScope;
  constructor(retryAfter: number, message?: string, options?: RateLimitErrorOptions) {
    // 0 is "retry now" (a `retry-after: 0`); only a missing or nonsensical delay falls back to 1 s.
    const ms = Number.isFinite(retryAfter) && retryAfter >= 0 ? Math.ceil(retryAfter) : 1000;
    const scope = options?.scope ?? 'queue';
    if (scope !== 'queue' && scope !== 'group') {
      throw new OptionRangeError(
        `Expected \`scope\` to be 'queue' or 'group', got ${describeScope(scope)}`,
        'scope',
      );
    }
    super(message ?? `Rate limited: retry after ${ms} ms`, undefined, options);
    this.retryAfter = ms;
    this.scope = scope;
  }
  static override is(value: unknown): value is RateLimitError {
    return hasBrand(value, 'ERR_RATE_LIMITED');
  }
}

/**
 * Throw this from a handler when the service it calls says the account is out
 * of quota or credit (OpenAI's 429 `insufficient_quota`, a billing error):
 * retrying cannot help until someone acts. The job goes back to the front of
 * `waiting` without spending an attempt, and the whole queue is paused (the
 * pause of `queue.pause()`, in the same Redis script, so no pool of any
 * process claims another job), with this error's message recorded as the
 * reason (`queue.getPauseReason()`, `worker-pool status`). Nothing more runs
 * until `queue.resume()` or `worker-pool resume`.
 */
export class QuotaExceededError extends WorkerPoolError {
  static override readonly code = 'ERR_QUOTA_EXCEEDED';
  static {
    brand(this, this.code);
  }
  constructor(message = 'Quota exceeded', options?: ErrorOptions) {
    super(message, undefined, options);
  }
  static override is(value: unknown): value is QuotaExceededError {
    return hasBrand(value, 'ERR_QUOTA_EXCEEDED');
  }
}

/**
 * A job's `cost` is over the `max` of a `by: 'cost'` window of the pool that
 * claimed it: it could never fit, so it fails at once (no retry, nothing charged).
 */
export class CostOverLimitError extends UnrecoverableError {
  static override readonly code = 'ERR_COST_OVER_LIMIT';
  static {
    brand(this, this.code);
  }
  readonly jobId: string;
  readonly cost: number;
  /** The window's max it is over (undefined if the pool's windows changed since). */
  readonly max: number | undefined;
  /** `option`: the pool's option the window is in, `limiter` or `group.limiter`. */
  constructor(jobId: string, cost: number, max?: number, duration?: number, option = 'limiter') {
    super(
      `Job ${jobId} costs ${cost} units, over the ${
        max === undefined ? 'max' : `max of ${max} units per ${duration} ms`
      } of the pool's \`${option}\` window with \`by: 'cost'\`: it can never fit, so it fails without running`,
    );
    this.jobId = jobId;
    this.cost = cost;
    this.max = max;
  }
  static override is(value: unknown): value is CostOverLimitError {
    return hasBrand(value, 'ERR_COST_OVER_LIMIT');
  }
}

/**
 * A handler misused `ctx.reportCost(n)`: called it a second time in one
 * attempt, or after its attempt ended. (A bad `n` is an `OptionTypeError` or
 * `OptionRangeError` naming `reportCost`.)
 */
export class CostReportError extends WorkerPoolError {
  static override readonly code = 'ERR_COST_REPORT';
  static {
    brand(this, this.code);
  }
  constructor(message: string) {
    super(message);
  }
  static override is(value: unknown): value is CostReportError {
    return hasBrand(value, 'ERR_COST_REPORT');
  }
}
