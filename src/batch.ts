import { randomBytes } from 'node:crypto';
import { OptionRangeError, OptionTypeError, type StoredError } from './errors.js';
import { checkGroup } from './groups.js';
import {
  encodeForAdd,
  resolveJobOptions,
  type JobOptions,
  type ResolvedJobOptions,
} from './job-options.js';
import { encodeThenJob } from './redis/protocol/then-job.js';
import { serialize } from './serialize.js';
import {
  checkInteger,
  checkKnownKeys,
  checkObject,
  checkString,
  describeValue,
} from './validate.js';

/**
 * A batch is a set of jobs added together under one id (an ebook is a batch
 * of pages). Its counters move atomically with its jobs, and each job's
 * result is kept in the batch by position, so the results come back in the
 * order the jobs were added, whatever order they finished in.
 */
export interface BatchOptions {
  /** Your own id for the batch. @default `<timestamp>-<random>`, e.g. `1704123456789-abc123` */
  batchId?: string;
  /** Seconds the batch (and its results) stays in Redis after it finishes. @default 604800 (7 days) */
  ttl?: number;
  /**
   * Anything JSON about the batch as a whole (an ebook's title and outline),
   * kept with it and returned by `getBatch()` and `waitForBatch()`.
   */
  meta?: unknown;
  /** The group of every job of the batch (a job's own `opts.group` wins). @default none */
  group?: string;
  /**
   * A job to add when the batch ends (every job completed, failed or was
   * cancelled): an ebook's assembly. It is added by the same Redis script
   * that finishes the batch's last job, exactly once, even if the process
   * that called `addBatch()` is gone. Its handler gets the batch's id as
   * `job.parentBatchId`, to read it with `getBatch()` and `getBatchResults()`.
   * The job is not part of the batch (it is not counted in `total`).
   * @default none
   */
  then?: ThenJobSpec;
}

/** The job `addBatch(items, { then })` adds when the batch ends. */
export interface ThenJobSpec {
  /** Its job name: a pool with a handler for it runs it. */
  name: string;
  /** Its payload (JSON). The batch's id is not merged in: read `job.parentBatchId`. @default null */
  data?: unknown;
  /**
   * Its options, as `add()` takes them (the queue's `defaultJobOptions` fill
   * the rest). `delay` counts from when the batch ends; a `jobId` already in
   * use then means no job is added, as with `add()`.
   * @default none
   */
  opts?: JobOptions;
}

export const DEFAULT_BATCH_TTL = 7 * 24 * 3600;
const MAX_BATCH_TTL = 10 * 365 * 24 * 3600;

/** A batch's progress, from `getBatch()` and `waitForBatch()`'s `onProgress`. */
export interface BatchProgress {
  readonly id: string;
  readonly total: number;
  readonly completed: number;
  readonly failed: number;
  /** Jobs not finished yet: waiting, delayed, running or between attempts. */
  readonly pending: number;
  /** Every job completed or failed. */
  readonly done: boolean;
  readonly createdAt: number;
  readonly finishedAt?: number;
  /** The `meta` given to `addBatch()`. */
  readonly meta?: unknown;
  /** The id of its `then` job, once the batch ended and added it. */
  readonly thenJobId?: string;
}

/** One job of a batch, at its position: narrow on `state` to read `result` or `error`. */
export type BatchItem<Result = unknown> =
  | { readonly index: number; readonly state: 'completed'; readonly result: Result }
  | { readonly index: number; readonly state: 'failed'; readonly error: StoredError }
  | { readonly index: number; readonly state: 'pending' };

/** A finished batch: its progress and every job's outcome, in the order they were added. */
export interface BatchResult<Result = unknown> extends BatchProgress {
  readonly items: readonly BatchItem<Result>[];
}

/** What `addBatch()` returns. */
export interface AddedBatch<Job> {
  readonly id: string;
  readonly jobs: readonly Job[];
}

export function newBatchId(): string {
  return `${Date.now()}-${randomBytes(4).toString('hex').slice(0, 6)}`;
}

export function resolveBatchOptions(
  options: unknown,
  maxBytes: number,
  /** The queue's `defaultJobOptions`, for the then job. */
  defaults: ResolvedJobOptions,
): {
  batchId: string;
  ttl: number;
  meta: string;
  group: string | undefined;
  /** The then job's spec, encoded (see redis/protocol/then-job.ts). */
  then: string | undefined;
} {
  if (options === undefined)
    return {
      batchId: newBatchId(),
      ttl: DEFAULT_BATCH_TTL,
      meta: '',
      group: undefined,
      then: undefined,
    };
  const o = checkObject('batch options', options);
  checkKnownKeys('batch options', o, ['batchId', 'ttl', 'meta', 'group', 'then']);
  let batchId = newBatchId();
  if (o.batchId !== undefined) {
    batchId = checkString('batchId', o.batchId);
    if (batchId.length > 512 || /[{}]/.test(batchId)) {
      throw new OptionRangeError(
        `Expected \`batchId\` to be at most 512 characters without braces, got ${describeValue(o.batchId)}`,
        'batchId',
      );
    }
  }
  // At most ten years: Redis takes the TTL as an integer, and the script must never hand it a float.
  const ttl =
    o.ttl === undefined
      ? DEFAULT_BATCH_TTL
      : checkInteger('ttl', o.ttl, { min: 1, max: MAX_BATCH_TTL });
  const meta =
    o.meta === undefined ? '' : serialize(o.meta, 'Batch meta', { maxBytes, path: 'meta' });
  const group = o.group === undefined ? undefined : checkGroup('group', o.group);
  const then = o.then === undefined ? undefined : resolveThen(batchId, o.then, maxBytes, defaults);
  return { batchId, ttl, meta, group, then };
}

/** Validate `then` and encode it as the batch hash stores it. */
function resolveThen(
  batchId: string,
  value: unknown,
  maxBytes: number,
  defaults: ResolvedJobOptions,
): string {
  const o = checkObject('then', value);
  checkKnownKeys('`then`', o, ['name', 'data', 'opts']);
  const name = checkString('then.name', o.name);
  const data = serialize(o.data, 'Then job data', { maxBytes, path: 'then.data' });
  const options = resolveJobOptions('then.opts', o.opts, defaults);
  if (options.cache) {
    // Added by the script that ends the batch, it never looks a cache key up.
    throw new OptionTypeError('`then.opts.cache` cannot be set on a then job', 'cache');
  }
  return encodeThenJob(batchId, {
    id: options.jobId,
    name,
    data,
    ...encodeForAdd(options),
    group: options.group,
  });
}
