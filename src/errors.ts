/**
 * Every error this library creates has a stable string `code` and a class of
 * its own, so callers can branch on `error.code`, on `instanceof`, or on the
 * class's `is()`.
 *
 * Two copies of this package in one process (a CLI and an app, two bundles,
 * a dependency pinned to another version) each have their own classes, so a
 * plain `instanceof` would tell a `RateLimitError` from the other copy apart
 * from this one's. Each class therefore carries a brand: its code, stored on
 * its prototype under `Symbol.for('redis-worker-pool.error')`, a key shared by
 * every copy. `instanceof` and `is()` accept any value whose prototype chain
 * holds the class's brand, so `MissingHandlerError` from another copy is an
 * `UnrecoverableError` here too. A class you derive yourself has no brand of
 * its own, so `instanceof` on it stays the ordinary check.
 */

/** The key of the brand; `Symbol.for`, so every copy of the package shares it. */
const BRAND: unique symbol = Symbol.for('redis-worker-pool.error') as never;

type Branded = { readonly [BRAND]?: string };

/** Put `code` on the class's prototype as its brand (non-enumerable, read-only). */
function brand(target: { prototype: object }, code: string): void {
  Object.defineProperty(target.prototype, BRAND, { value: code });
}

/** The codes branded along `value`'s prototype chain, nearest first; never throws. */
function brandsOf(value: unknown): string[] {
  const codes: string[] = [];
  try {
    if ((typeof value !== 'object' && typeof value !== 'function') || value === null) return codes;
    // A chain longer than this is not an error of ours (and a cyclic proxy must not hang us).
    let proto = Object.getPrototypeOf(value) as object | null;
    for (let depth = 0; proto !== null && depth < 32; depth++) {
      if (Object.prototype.hasOwnProperty.call(proto, BRAND)) {
        const code = (proto as Branded)[BRAND];
        if (typeof code === 'string') codes.push(code);
      }
      proto = Object.getPrototypeOf(proto) as object | null;
    }
  } catch {
    // A proxy whose traps throw is no error of ours.
  }
  return codes;
}

/** True when `value` is an instance, from any copy of this package, of the class branded `code`. */
function hasBrand(value: unknown, code: string): boolean {
  return brandsOf(value).includes(code);
}

/** The brand of a class of ours (own, not inherited), or undefined for a class derived by a user. */
function ownBrand(target: unknown): string | undefined {
  if (typeof target !== 'function') return undefined;
  const proto = (target as { prototype?: unknown }).prototype;
  if (typeof proto !== 'object' || proto === null) return undefined;
  return Object.prototype.hasOwnProperty.call(proto, BRAND) ? (proto as Branded)[BRAND] : undefined;
}

/** `instanceof` for a branded class: the ordinary check, or the brand for a class of ours. */
function brandedInstanceOf(target: unknown, value: unknown): boolean {
  if (Function.prototype[Symbol.hasInstance].call(target, value)) return true;
  const code = ownBrand(target);
  return code !== undefined && hasBrand(value, code);
}

/** The code of the nearest branded class of `target` (the class being constructed). */
function codeOf(target: unknown): string {
  let current = target;
  for (let depth = 0; typeof current === 'function' && depth < 32; depth++) {
    const code = ownBrand(current);
    if (code !== undefined) return code;
    current = Object.getPrototypeOf(current) as unknown;
  }
  return 'ERR_WORKER_POOL';
}

interface ErrorOptions {
  cause?: unknown;
}

/** Base class of the errors raised by redis-worker-pool (all but the two option errors). */
export class WorkerPoolError extends Error {
  /** The code of this class's instances; each subclass has its own. */
  static readonly code: string = 'ERR_WORKER_POOL';
  static {
    brand(this, this.code);
  }

  /** A stable identifier, e.g. `ERR_JOB_TIMEOUT`. */
  readonly code: string;

  /**
   * `code` is for classes you derive yourself; left out, an instance takes the
   * code of its nearest class of this library.
   */
  constructor(message: string, code?: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code ?? codeOf(new.target);
  }

  /**
   * Is `value` an instance of this class, made by any copy of this package?
   * Same answer as `instanceof`; works unbound (`errors.filter(RateLimitError.is)`).
   */
  static is(value: unknown): value is WorkerPoolError {
    return hasBrand(value, 'ERR_WORKER_POOL');
  }

  /** `instanceof` that also recognises the errors of another copy of this package, by their brand. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return brandedInstanceOf(this, value);
  }
}

/** Is `value` a `WorkerPoolError` (or subclass) from any copy of this package? */
export function isWorkerPoolError(value: unknown): value is WorkerPoolError {
  return hasBrand(value, 'ERR_WORKER_POOL');
}

/**
 * Throw this from a handler to fail the job at once, skipping the attempts it
 * has left (a bad request, a payload that can never succeed).
 */
export class UnrecoverableError extends WorkerPoolError {
  static override readonly code: string = 'ERR_UNRECOVERABLE';
  static {
    brand(this, this.code);
  }
  constructor(message = 'Unrecoverable error', options?: ErrorOptions) {
    super(message, undefined, options);
  }
  static override is(value: unknown): value is UnrecoverableError {
    return hasBrand(value, 'ERR_UNRECOVERABLE');
  }
}

/** What a `RateLimitError`'s delay holds: the whole queue, or the job's group only. */
export type RateLimitScope = 'queue' | 'group';

/** Options of `RateLimitError`: the usual `cause`, and what the delay holds. */
export interface RateLimitErrorOptions extends ErrorOptions {
  /** @default 'queue' */
  scope?: RateLimitScope;
}

/** A scope as shown in the error for a bad one (validate.ts imports this file, so not its describeValue). */
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

/** The job ran past its `timeout`; its signal was aborted with this reason. Retryable. */
export class JobTimeoutError extends WorkerPoolError {
  static override readonly code = 'ERR_JOB_TIMEOUT';
  static {
    brand(this, this.code);
  }
  readonly timeout: number;
  constructor(timeout: number) {
    super(`Job timed out after ${timeout} ms`);
    this.timeout = timeout;
  }
  static override is(value: unknown): value is JobTimeoutError {
    return hasBrand(value, 'ERR_JOB_TIMEOUT');
  }
}

/**
 * The pool no longer holds this job's lease (it expired and another pool took
 * the job over, or the job was removed), so whatever this attempt produces is
 * discarded. Used as the abort reason of the job's signal and in `leaseLost` events.
 */
export class LeaseLostError extends WorkerPoolError {
  static override readonly code = 'ERR_LEASE_LOST';
  static {
    brand(this, this.code);
  }
  readonly jobId: string;
  constructor(jobId: string, detail = 'its lease expired or the job was taken over') {
    super(`Lost the lease on job ${jobId}: ${detail}`);
    this.jobId = jobId;
  }
  static override is(value: unknown): value is LeaseLostError {
    return hasBrand(value, 'ERR_LEASE_LOST');
  }
}

/**
 * The job was cancelled (`queue.cancel()`, `queue.cancelBatch()`): it ended
 * `failed` with this error and is never retried. The abort reason of a running
 * job's signal; stored as the job's error.
 */
export class JobCancelledError extends WorkerPoolError {
  static override readonly code = 'ERR_JOB_CANCELLED';
  static {
    brand(this, this.code);
  }
  readonly jobId: string;
  /** The reason given to `cancel()`, if any. */
  readonly reason: string | undefined;
  constructor(jobId: string, reason?: string) {
    super(`Job ${jobId} was cancelled${reason ? `: ${reason}` : ''}`);
    this.jobId = jobId;
    this.reason = reason;
  }
  static override is(value: unknown): value is JobCancelledError {
    return hasBrand(value, 'ERR_JOB_CANCELLED');
  }
}

/** The pool is closed (or closing) and this operation cannot go on. */
export class PoolClosedError extends WorkerPoolError {
  static override readonly code = 'ERR_POOL_CLOSED';
  static {
    brand(this, this.code);
  }
  constructor(message = 'The worker pool is closed') {
    super(message);
  }
  static override is(value: unknown): value is PoolClosedError {
    return hasBrand(value, 'ERR_POOL_CLOSED');
  }
}

/** A `Queue` method was called after `queue.close()`, or a wait was under way when it closed. */
export class QueueClosedError extends WorkerPoolError {
  static override readonly code = 'ERR_QUEUE_CLOSED';
  static {
    brand(this, this.code);
  }
  constructor(message = 'The queue is closed') {
    super(message);
  }
  static override is(value: unknown): value is QueueClosedError {
    return hasBrand(value, 'ERR_QUEUE_CLOSED');
  }
}

/** `pool.start()` could not connect to Redis; the client's error is the `cause`. */
export class RedisUnavailableError extends WorkerPoolError {
  static override readonly code = 'ERR_REDIS_UNAVAILABLE';
  static {
    brand(this, this.code);
  }
  constructor(message: string, options?: ErrorOptions) {
    super(message, undefined, options);
  }
  static override is(value: unknown): value is RedisUnavailableError {
    return hasBrand(value, 'ERR_REDIS_UNAVAILABLE');
  }
}

/**
 * `pool.start()` reached Redis but Redis refused the pool's commands (an ACL
 * without the queue's keys or `EVALSHA`: `NOPERM`); Redis's error is the `cause`.
 */
export class RedisRefusedError extends WorkerPoolError {
  static override readonly code = 'ERR_REDIS_REFUSED';
  static {
    brand(this, this.code);
  }
  constructor(message: string, options?: ErrorOptions) {
    super(message, undefined, options);
  }
  static override is(value: unknown): value is RedisRefusedError {
    return hasBrand(value, 'ERR_REDIS_REFUSED');
  }
}

/** A job's name has no handler in the pool that claimed it. The job fails at once. */
export class MissingHandlerError extends UnrecoverableError {
  static override readonly code = 'ERR_NO_HANDLER';
  static {
    brand(this, this.code);
  }
  readonly jobName: string;
  constructor(jobName: string, known: readonly string[]) {
    super(
      `No handler for job name \`${jobName}\`; this pool handles ${
        known.length > 0 ? known.map((n) => `\`${n}\``).join(', ') : 'no job names'
      }`,
    );
    this.jobName = jobName;
  }
  static override is(value: unknown): value is MissingHandlerError {
    return hasBrand(value, 'ERR_NO_HANDLER');
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

/** A job's data or a handler's result cannot be stored as JSON. */
export class SerializationError extends WorkerPoolError {
  static override readonly code = 'ERR_NOT_SERIALIZABLE';
  static {
    brand(this, this.code);
  }
  /** Where in the value the problem is, e.g. `data.items[2].at`. */
  readonly path: string;
  constructor(message: string, path: string) {
    super(message);
    this.path = path;
  }
  static override is(value: unknown): value is SerializationError {
    return hasBrand(value, 'ERR_NOT_SERIALIZABLE');
  }
}

/** A job's data, once serialised, is larger than the queue's `maxPayloadSize`. */
export class PayloadTooLargeError extends WorkerPoolError {
  static override readonly code = 'ERR_PAYLOAD_TOO_LARGE';
  static {
    brand(this, this.code);
  }
  readonly size: number;
  readonly limit: number;
  constructor(what: string, size: number, limit: number) {
    super(
      `${what} is ${size} bytes once serialised, over the limit of ${limit} bytes (\`maxPayloadSize\`)`,
    );
    this.size = size;
    this.limit = limit;
  }
  static override is(value: unknown): value is PayloadTooLargeError {
    return hasBrand(value, 'ERR_PAYLOAD_TOO_LARGE');
  }
}

/** A handler threw (or rejected with) something that is not an `Error`. */
export class NonErrorThrownError extends WorkerPoolError {
  static override readonly code = 'ERR_NON_ERROR_THROWN';
  static {
    brand(this, this.code);
  }
  readonly value: unknown;
  constructor(value: unknown, description: string) {
    super(`Handler threw a non-Error value: ${description}`);
    this.value = value;
  }
  static override is(value: unknown): value is NonErrorThrownError {
    return hasBrand(value, 'ERR_NON_ERROR_THROWN');
  }
}

/** A handler threw a value that cannot even be read (its getters, or a proxy's traps, throw). */
export class UnreadableThrownError extends WorkerPoolError {
  static override readonly code = 'ERR_UNREADABLE_ERROR';
  static {
    brand(this, this.code);
  }
  /** @param reason The message of the error that reading the value threw. */
  constructor(reason: string) {
    super(`Handler threw a value that cannot be read (reading it threw: ${reason})`);
  }
  static override is(value: unknown): value is UnreadableThrownError {
    return hasBrand(value, 'ERR_UNREADABLE_ERROR');
  }
}

/** The attempt's signal was aborted with a reason that is not an `Error`; that reason is `reason`. */
export class AttemptAbortedError extends WorkerPoolError {
  static override readonly code = 'ERR_ABORTED';
  static {
    brand(this, this.code);
  }
  readonly reason: unknown;
  constructor(reason: unknown) {
    super(`The attempt was aborted: ${String(reason)}`);
    this.reason = reason;
  }
  static override is(value: unknown): value is AttemptAbortedError {
    return hasBrand(value, 'ERR_ABORTED');
  }
}

/** The serialised form of a failed attempt's error, as stored with the job. */
export interface StoredError {
  name: string;
  message: string;
  code?: string;
  stack?: string;
}

/**
 * `waitForResult()` / `waitForBatch()`: the job ended in `failed`. The job's
 * own error (as stored in Redis) is in `jobError`, and rebuilt as `cause`.
 */
export class JobFailedError extends WorkerPoolError {
  static override readonly code = 'ERR_JOB_FAILED';
  static {
    brand(this, this.code);
  }
  readonly jobId: string;
  readonly jobError: StoredError;
  constructor(jobId: string, jobError: StoredError) {
    const cause = Object.assign(new Error(jobError.message), jobError);
    super(`Job ${jobId} failed: ${jobError.message}`, undefined, { cause });
    this.jobId = jobId;
    this.jobError = jobError;
  }
  static override is(value: unknown): value is JobFailedError {
    return hasBrand(value, 'ERR_JOB_FAILED');
  }
}

/** No job with this id exists, or it was removed by its retention policy. */
export class JobNotFoundError extends WorkerPoolError {
  static override readonly code = 'ERR_JOB_NOT_FOUND';
  static {
    brand(this, this.code);
  }
  readonly jobId: string;
  /**
   * @param what Kept for callers of earlier versions; a missing batch is a `BatchNotFoundError`.
   * @param reason Why it is gone, when known.
   */
  constructor(jobId: string, what = 'Job', reason = 'never added, or removed by retention') {
    super(`${what} ${jobId} was not found (${reason})`);
    this.jobId = jobId;
  }
  static override is(value: unknown): value is JobNotFoundError {
    return hasBrand(value, 'ERR_JOB_NOT_FOUND');
  }
}

/** No batch with this id exists, or its record was removed by its retention. */
export class BatchNotFoundError extends WorkerPoolError {
  static override readonly code = 'ERR_BATCH_NOT_FOUND';
  static {
    brand(this, this.code);
  }
  readonly batchId: string;
  constructor(batchId: string) {
    super(`Batch ${batchId} was not found (never added, or removed by retention)`);
    this.batchId = batchId;
  }
  static override is(value: unknown): value is BatchNotFoundError {
    return hasBrand(value, 'ERR_BATCH_NOT_FOUND');
  }
}

/** `addBatch()` with a `batchId` that a batch of the queue already has. */
export class BatchExistsError extends WorkerPoolError {
  static override readonly code = 'ERR_BATCH_EXISTS';
  static {
    brand(this, this.code);
  }
  readonly batchId: string;
  constructor(batchId: string, options?: ErrorOptions) {
    super(
      `Batch ${batchId} already exists: give each batch its own \`batchId\` (or leave it out to get a fresh one)`,
      undefined,
      options,
    );
    this.batchId = batchId;
  }
  static override is(value: unknown): value is BatchExistsError {
    return hasBrand(value, 'ERR_BATCH_EXISTS');
  }
}

/** `waitForResult()` / `waitForBatch()` gave up after its `timeout`. The job goes on. */
export class WaitTimeoutError extends WorkerPoolError {
  static override readonly code = 'ERR_WAIT_TIMEOUT';
  static {
    brand(this, this.code);
  }
  constructor(what: string, timeout: number) {
    super(`Timed out after ${timeout} ms waiting for ${what}`);
  }
  static override is(value: unknown): value is WaitTimeoutError {
    return hasBrand(value, 'ERR_WAIT_TIMEOUT');
  }
}

/** An operation on a job that its current state does not allow (e.g. retrying a job that has not failed). */
export class InvalidJobStateError extends WorkerPoolError {
  static override readonly code = 'ERR_INVALID_JOB_STATE';
  static {
    brand(this, this.code);
  }
  readonly jobId: string;
  readonly state: string;
  constructor(jobId: string, state: string, action: string) {
    super(`Cannot ${action} job ${jobId}: it is ${state}`);
    this.jobId = jobId;
    this.state = state;
  }
  static override is(value: unknown): value is InvalidJobStateError {
    return hasBrand(value, 'ERR_INVALID_JOB_STATE');
  }
}

/** An option (or environment variable) has the wrong type. */
export class OptionTypeError extends TypeError {
  static readonly code = 'ERR_INVALID_OPTION';
  static {
    brand(this, this.code);
  }
  readonly code = 'ERR_INVALID_OPTION';
  /** The option's name, e.g. `concurrency` or `CONCURRENT_WORKERS`. */
  readonly option: string;
  constructor(message: string, option: string) {
    super(message);
    this.name = 'OptionTypeError';
    this.option = option;
  }
  static is(value: unknown): value is OptionTypeError {
    return hasBrand(value, 'ERR_INVALID_OPTION');
  }
  static override [Symbol.hasInstance](value: unknown): boolean {
    return brandedInstanceOf(this, value);
  }
}

/** An option (or environment variable) has the right type but a value out of range. */
export class OptionRangeError extends RangeError {
  static readonly code = 'ERR_OPTION_OUT_OF_RANGE';
  static {
    brand(this, this.code);
  }
  readonly code = 'ERR_OPTION_OUT_OF_RANGE';
  readonly option: string;
  constructor(message: string, option: string) {
    super(message);
    this.name = 'OptionRangeError';
    this.option = option;
  }
  static is(value: unknown): value is OptionRangeError {
    return hasBrand(value, 'ERR_OPTION_OUT_OF_RANGE');
  }
  static override [Symbol.hasInstance](value: unknown): boolean {
    return brandedInstanceOf(this, value);
  }
}

/** Serialise an error for storage with the job; never throws. */
export function toStoredError(error: Error): StoredError {
  // Each property on its own: an error with a throwing getter still stores what it can.
  const read = (get: () => unknown): unknown => {
    try {
      return get();
    } catch {
      return undefined;
    }
  };
  const name = read(() => error.name);
  const message = read(() => error.message);
  const stored: StoredError = {
    name: typeof name === 'string' ? name : 'Error',
    message: typeof message === 'string' ? message : String(read(() => String(message)) ?? ''),
  };
  const code = read(() => (error as { code?: unknown }).code);
  if (typeof code === 'string' || typeof code === 'number') stored.code = String(code);
  const stack = read(() => error.stack);
  if (typeof stack === 'string') stored.stack = stack.split('\n').slice(0, 12).join('\n');
  return stored;
}
