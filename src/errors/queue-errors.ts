/**
 * What `Queue` calls throw about the jobs and batches they are asked about:
 * not found, in the wrong state, already there, failed, or not done in time.
 */
import { brand, hasBrand, type ErrorOptions } from './brand.js';
import type { StoredError } from './stored-error.js';
import { WorkerPoolError } from './worker-pool-error.js';

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
