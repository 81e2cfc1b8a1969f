/**
 * Every error this library creates has a stable string `code`, so callers can
 * branch on `error.code` (or `instanceof`) instead of parsing messages.
 */

/** Base class of the errors raised by redis-worker-pool. */
export class WorkerPoolError extends Error {
  /** A stable identifier, e.g. `ERR_JOB_TIMEOUT`. */
  readonly code: string;

  constructor(message: string, code = 'ERR_WORKER_POOL', options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/**
 * Throw this from a handler to fail the job at once, skipping the attempts it
 * has left (a bad request, a payload that can never succeed).
 */
export class UnrecoverableError extends WorkerPoolError {
  constructor(message = 'Unrecoverable error', options?: { cause?: unknown }) {
    super(message, 'ERR_UNRECOVERABLE', options);
  }
}

/**
 * Throw this from a handler when the service it calls says "too many
 * requests, retry after N ms" (an HTTP 429 with `retry-after`): no pool of the
 * queue starts another job until `retryAfter` ms have passed, and this job is
 * tried again then without spending one of its attempts.
 */
export class RateLimitError extends WorkerPoolError {
  /** Milliseconds to hold the queue, and to wait before this job's next try. */
  readonly retryAfter: number;
  constructor(retryAfter: number, message?: string, options?: { cause?: unknown }) {
    // 0 is "retry now" (a `retry-after: 0`); only a missing or nonsensical delay falls back to 1 s.
    const ms = Number.isFinite(retryAfter) && retryAfter >= 0 ? Math.ceil(retryAfter) : 1000;
    super(message ?? `Rate limited: retry after ${ms} ms`, 'ERR_RATE_LIMITED', options);
    this.retryAfter = ms;
  }
}

/** The job ran past its `timeout`; its signal was aborted with this reason. Retryable. */
export class JobTimeoutError extends WorkerPoolError {
  readonly timeout: number;
  constructor(timeout: number) {
    super(`Job timed out after ${timeout} ms`, 'ERR_JOB_TIMEOUT');
    this.timeout = timeout;
  }
}

/**
 * The pool no longer holds this job's lease (it expired and another pool took
 * the job over, or the job was removed), so whatever this attempt produces is
 * discarded. Used as the abort reason of the job's signal and in `leaseLost` events.
 */
export class LeaseLostError extends WorkerPoolError {
  readonly jobId: string;
  constructor(jobId: string, detail = 'its lease expired or the job was taken over') {
    super(`Lost the lease on job ${jobId}: ${detail}`, 'ERR_LEASE_LOST');
    this.jobId = jobId;
  }
}

/** The pool is closed (or closing) and this operation cannot go on. */
export class PoolClosedError extends WorkerPoolError {
  constructor(message = 'The worker pool is closed') {
    super(message, 'ERR_POOL_CLOSED');
  }
}

/** A job's name has no handler in the pool that claimed it. The job fails at once. */
export class MissingHandlerError extends UnrecoverableError {
  readonly jobName: string;
  constructor(jobName: string, known: readonly string[]) {
    super(
      `No handler for job name \`${jobName}\`; this pool handles ${
        known.length > 0 ? known.map((n) => `\`${n}\``).join(', ') : 'no job names'
      }`,
    );
    (this as { code: string }).code = 'ERR_NO_HANDLER';
    this.jobName = jobName;
  }
}

/** A job's data or a handler's result cannot be stored as JSON. */
export class SerializationError extends WorkerPoolError {
  /** Where in the value the problem is, e.g. `data.items[2].at`. */
  readonly path: string;
  constructor(message: string, path: string) {
    super(message, 'ERR_NOT_SERIALIZABLE');
    this.path = path;
  }
}

/** A job's data, once serialised, is larger than the queue's `maxPayloadSize`. */
export class PayloadTooLargeError extends WorkerPoolError {
  readonly size: number;
  readonly limit: number;
  constructor(what: string, size: number, limit: number) {
    super(
      `${what} is ${size} bytes once serialised, over the limit of ${limit} bytes (\`maxPayloadSize\`)`,
      'ERR_PAYLOAD_TOO_LARGE',
    );
    this.size = size;
    this.limit = limit;
  }
}

/** A handler threw (or rejected with) something that is not an `Error`. */
export class NonErrorThrownError extends WorkerPoolError {
  readonly value: unknown;
  constructor(value: unknown, description: string) {
    super(`Handler threw a non-Error value: ${description}`, 'ERR_NON_ERROR_THROWN');
    this.value = value;
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
  readonly jobId: string;
  readonly jobError: StoredError;
  constructor(jobId: string, jobError: StoredError) {
    const cause = Object.assign(new Error(jobError.message), jobError);
    super(`Job ${jobId} failed: ${jobError.message}`, 'ERR_JOB_FAILED', { cause });
    this.jobId = jobId;
    this.jobError = jobError;
  }
}

/** No job (or batch) with this id exists, or it was removed by its retention policy. */
export class JobNotFoundError extends WorkerPoolError {
  readonly jobId: string;
  constructor(jobId: string, what = 'Job') {
    super(
      `${what} ${jobId} was not found (never added, or removed by retention)`,
      'ERR_JOB_NOT_FOUND',
    );
    this.jobId = jobId;
  }
}

/** `waitForResult()` / `waitForBatch()` gave up after its `timeout`. The job goes on. */
export class WaitTimeoutError extends WorkerPoolError {
  constructor(what: string, timeout: number) {
    super(`Timed out after ${timeout} ms waiting for ${what}`, 'ERR_WAIT_TIMEOUT');
  }
}

/** An operation on a job that its current state does not allow (e.g. retrying a job that has not failed). */
export class InvalidJobStateError extends WorkerPoolError {
  readonly jobId: string;
  readonly state: string;
  constructor(jobId: string, state: string, action: string) {
    super(`Cannot ${action} job ${jobId}: it is ${state}`, 'ERR_INVALID_JOB_STATE');
    this.jobId = jobId;
    this.state = state;
  }
}

/** An option (or environment variable) has the wrong type. */
export class OptionTypeError extends TypeError {
  readonly code = 'ERR_INVALID_OPTION';
  /** The option's name, e.g. `concurrency` or `CONCURRENT_WORKERS`. */
  readonly option: string;
  constructor(message: string, option: string) {
    super(message);
    this.name = 'OptionTypeError';
    this.option = option;
  }
}

/** An option (or environment variable) has the right type but a value out of range. */
export class OptionRangeError extends RangeError {
  readonly code = 'ERR_OPTION_OUT_OF_RANGE';
  readonly option: string;
  constructor(message: string, option: string) {
    super(message);
    this.name = 'OptionRangeError';
    this.option = option;
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
