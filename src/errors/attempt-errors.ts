/**
 * How an attempt ends other than with a result: the handler gives up for good
 * (`UnrecoverableError`), or the pool ends it (timeout, lost lease, cancel, no
 * handler) or records what the handler threw that was not an `Error`.
 */
import { brand, hasBrand, type ErrorOptions } from './brand.js';
import { WorkerPoolError } from './worker-pool-error.js';

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
