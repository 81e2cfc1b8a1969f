import type { StoredError } from './errors.js';

/** Where a job is. Every job is in exactly one of these until its retention ends. */
export type JobState = 'waiting' | 'delayed' | 'active' | 'completed' | 'failed';

/** What one job name carries: its payload, and what its handler returns. */
export interface JobDefinition {
  data: unknown;
  result?: unknown;
}

/**
 * A map from job name to its payload and result, for type-safe queues:
 *
 * ```ts
 * type Jobs = { page: { data: { title: string; index: number }; result: { text: string } } };
 * const queue = new Queue<Jobs>('pages');
 * await queue.add('page', { title: 'x', index: 0 }); // checked against Jobs
 * ```
 */
export type JobMap<J = Record<string, JobDefinition>> = { [N in keyof J]: JobDefinition };

/** The map used when none is given: any name, any JSON payload. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type DefaultJobMap = Record<string, { data: any; result: any }>;

export type JobName<J> = Extract<keyof J, string>;
export type JobData<J, N extends keyof J> = J[N] extends { data: infer D } ? D : never;
export type JobResult<J, N extends keyof J> = J[N] extends { result: infer R } ? R : unknown;

/** A job as its handler sees it. */
export interface Job<Data = unknown, Name extends string = string> {
  readonly id: string;
  readonly name: Name;
  readonly data: Data;
  /** When it was added (ms since the epoch, Redis clock). */
  readonly createdAt: number;
  /** The batch it was added in, if any, and its position there. */
  readonly batchId?: string;
  readonly batchIndex?: number;
  /** Its group (`add(..., { group })`), if it has one. */
  readonly group?: string;
  /**
   * The batch whose `then` job this is (`addBatch(items, { then })`): read
   * it with `queue.getBatch(id)` and `queue.getBatchResults(id)`.
   */
  readonly parentBatchId?: string;
}

/** A job of any name of the map, narrowed by `job.name`. */
export type AnyJob<J> = { [N in JobName<J>]: Job<JobData<J, N>, N> }[JobName<J>];

/** A job's full record, from `queue.getJob()`. */
export interface JobInfo<Data = unknown, Result = unknown, Name extends string = string> {
  readonly id: string;
  readonly name: Name;
  readonly state: JobState;
  readonly data: Data;
  /** Attempts started so far (the running one included). */
  readonly attempts: number;
  /** The job's own `attempts` option, if it set one; else the pool's default applies. */
  readonly maxAttempts?: number;
  /** The handler's return value, once `completed`. */
  readonly result?: Result;
  /** The error of the last failed attempt (kept after a later attempt succeeds). */
  readonly error?: StoredError;
  readonly createdAt: number;
  /** When the running attempt (`active`) or the last finished attempt started. */
  readonly processedAt?: number;
  /** When the job reached `completed` or `failed`. */
  readonly finishedAt?: number;
  /** `delayed`: when it becomes due. */
  readonly dueAt?: number;
  /** `active`: when its lease runs out unless renewed. */
  readonly leaseExpiresAt?: number;
  readonly batchId?: string;
  readonly batchIndex?: number;
  /** The latest value its handler reported with `ctx.progress()`, if it reported any. */
  readonly progress?: unknown;
  readonly group?: string;
  /** The batch whose `then` job this is, if it is one. */
  readonly parentBatchId?: string;
}

/** What `add()` returns. */
export interface AddedJob<Data = unknown, Name extends string = string> {
  readonly id: string;
  readonly name: Name;
  readonly data: Data;
  /** `true` when a job with this `jobId` already existed, so nothing was added. */
  readonly duplicate: boolean;
  /**
   * `true` when the job's `cache` key gave an existing job (waiting, delayed,
   * running, or completed less than its `ttl` ago): `id` is that job's, and
   * nothing was added. Always `false` for a job without `cache`.
   */
  readonly cached: boolean;
  readonly batchId?: string;
  readonly batchIndex?: number;
  readonly group?: string;
}

/** A job the pool claimed: the job plus what running and reporting it needs. */
export interface ClaimedJob {
  readonly job: Job<unknown, string>;
  readonly token: string;
  /** Attempts finished before this one. */
  readonly attemptsMade: number;
  readonly maxAttempts: number | undefined;
  /**
   * `cache`: the job has a cache entry to settle when it ends (see attempt-report.ts): its
   * key (1 for a job stored by an earlier version, which did not keep it here).
   */
  readonly options: { backoff?: unknown; timeout?: number; cache?: string | 1 };
  /** Its retentions, `count:age` (see retention.ts), handed back in its report. */
  readonly keepCompleted: string;
  readonly keepFailed: string;
  /** The W3C traceparent of the trace it was added in, if it was added in one (see tracing.ts). */
  readonly traceparent?: string;
  /** Set when the stored job could not be decoded; the job then fails at once. */
  readonly decodeError?: Error;
}
