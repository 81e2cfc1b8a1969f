import {
  resolveBatchOptions,
  type AddedBatch,
  type BatchItem,
  type BatchOptions,
  type BatchProgress,
  type BatchResult,
} from './batch.js';
import {
  closeClient,
  keyPrefixOf,
  openClient,
  watchConnection,
  type ClientHandle,
  type RedisClient,
} from './connection.js';
import {
  BatchNotFoundError,
  InvalidJobStateError,
  JobNotFoundError,
  OptionTypeError,
  QueueClosedError,
} from './errors.js';
import {
  cancelErrorJson,
  cancelOutcome,
  checkCancelOptions,
  unfinishedBatchJobs,
  type CancelOptions,
} from './cancel.js';
import { FinishWatcher } from './finish-watcher.js';
import { waitForBatch, waitForJob, type WaitReads } from './job-waits.js';
import { ProgressFollower } from './progress-follower.js';
import { encodeJobs, type JobOptions } from './job-options.js';
import type {
  AddedJob,
  DefaultJobMap,
  JobData,
  JobInfo,
  JobMap,
  JobName,
  JobResult,
  JobState,
} from './job.js';
import {
  checkQueueName,
  resolveQueueOptions,
  type QueueOptions,
  type ResolvedQueueOptions,
} from './options.js';
import {
  QueueReader,
  type ConnectedPool,
  type GetJobsOptions,
  type JobCounts,
  type QueueMetrics,
} from './queue-reader.js';
import { queueKeys, type QueueKeys } from './redis/keys.js';
import type { BatchSpec, JobToAdd } from './redis/protocol/add.js';
import { readBatch, readCounters, readProgress } from './redis/protocol/batch-hash.js';
import { redisEventSource } from './redis/event-source.js';
import {
  readGroupCounts,
  readGroupTotals,
  readTopGroups,
  type GroupCounts,
  type GroupSummary,
  type GroupTotals,
} from './redis/protocol/group-state.js';
import { checkGroup } from './groups.js';
import {
  isQueuePaused,
  pauseQueue,
  readPauseReason,
  resumeQueue,
  type PauseReason,
} from './redis/protocol/queue-state.js';
import { MAX_JOBS_PER_CALL } from './redis/protocol/move.js';
import { Scripts } from './redis/scripts.js';
import { addBatchChunks } from './batch-add.js';
import { callerTraceparent, loadTracing } from './tracing.js';
import {
  checkWaitOptions,
  type WaitForBatchOptions,
  type WaitForResultOptions,
} from './wait-options.js';
import { checkInteger, checkString, describeValue } from './validate.js';

/**
 * The Redis keys of a queue, for the library's own tests and benchmarks (see
 * src/internal.ts); not part of the public API.
 */
export function queueKeysOf(queue: object): QueueKeys {
  return keysOf(queue);
}

/** Set by Queue's static block, which alone can read `#keys`. */
let keysOf: (queue: object) => QueueKeys;

/** An AddedJob being built. */
type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** One job for `addBulk()` and `addBatch()`. */
export type BulkJob<J, N extends JobName<J> = JobName<J>> = {
  [K in N]: { name: K; data: JobData<J, K>; opts?: JobOptions };
}[N];

/**
 * The producer side of a queue: add jobs and batches, read their state, wait
 * for their results. Cheap to construct; share one per process.
 *
 * ```ts
 * const queue = new Queue<Jobs>('pages'); // Redis from REDIS_URL, else 127.0.0.1:6379
 * const job = await queue.add('page', { title: 'Bees', index: 0 });
 * const page = await queue.waitForResult(job.id);
 * ```
 */
export class Queue<J extends JobMap<J> = DefaultJobMap> {
  readonly name: string;
  readonly #options: ResolvedQueueOptions;
  readonly #keys: QueueKeys;
  readonly #handle: ClientHandle;
  readonly #scripts: Scripts;
  readonly #reader: QueueReader;
  readonly #watcher: FinishWatcher;
  readonly #waitReads: WaitReads;
  readonly #progress: ProgressFollower;
  #closed: Promise<void> | undefined;

  constructor(name: string, options?: QueueOptions) {
    this.name = checkQueueName(name);
    this.#options = resolveQueueOptions(options);
    this.#handle = openClient(this.#options.connection, {}, { reuse: true });
    const client = this.#handle.client;
    if (this.#handle.owned) watchConnection(client, this.#options.logger, 'Queue');
    const keys = queueKeys(this.#options.prefix, this.name, keyPrefixOf(client));
    this.#keys = keys;
    this.#scripts = new Scripts(client, keys);
    this.#reader = new QueueReader(client, this.#scripts, keys);
    this.#watcher = new FinishWatcher(() =>
      redisEventSource({
        client,
        key: keys.events,
        tip: async () => (await this.#scripts.eventsTail()).tip,
        logger: this.#options.logger,
      }),
    );
    this.#waitReads = {
      getJob: (id) => this.#reader.getJob(id),
      findEvent: (id) => this.#scripts.eventsTail(id),
      readProgress: (id) => readProgress(client, keys, id),
      readCounters: (id) => readCounters(client, keys, id),
      readBatch: (id) => readBatch(client, keys, id),
    };
    this.#progress = new ProgressFollower(client, keys, this.#options.logger);
    // Find out now whether OpenTelemetry is installed (an import from disk, tens of
    // ms): the first add() would otherwise wait for it (the pickup's slowest job).
    void loadTracing();
  }

  /** The ioredis client this queue uses (yours, if you passed one). */
  get client(): RedisClient {
    return this.#handle.client;
  }

  static {
    keysOf = (queue) => (queue as Queue).#keys;
  }

  /** Add one job. Resolves once it is stored in Redis. */
  async add<N extends JobName<J>>(
    name: N,
    data: JobData<J, N>,
    opts?: JobOptions,
  ): Promise<AddedJob<JobData<J, N>, N>> {
    const [job] = await this.#addMany([{ name, data, opts } as BulkJob<J>], undefined, true);
    return job as AddedJob<JobData<J, N>, N>;
  }

  /**
   * Add many jobs: one round trip per 1000, each chunk atomic. Every job is
   * validated and serialised before anything is sent, so a bad one adds none.
   */
  async addBulk(
    jobs: readonly BulkJob<J>[],
  ): Promise<AddedJob<JobData<J, JobName<J>>, JobName<J>>[]> {
    return this.#addMany(jobs, undefined);
  }

  /**
   * Add jobs as one batch, whose progress and results (in this order) can be
   * read and awaited from any process: `getBatch()`, `waitForBatch()`.
   */
  async addBatch(
    jobs: readonly BulkJob<J>[],
    options?: BatchOptions,
  ): Promise<AddedBatch<AddedJob<JobData<J, JobName<J>>, JobName<J>>>> {
    const { batchId, ttl, meta, group, then } = resolveBatchOptions(
      options,
      this.#options.maxPayloadSize,
      this.#options.defaultJobOptions,
    );
    if (!Array.isArray(jobs) || jobs.length === 0) {
      throw new OptionTypeError(
        `Expected \`jobs\` to be a non-empty array, got ${describeValue(jobs)}`,
        'jobs',
      );
    }
    const added = await this.#addMany(
      jobs,
      { id: batchId, total: jobs.length, ttl, meta, then },
      false,
      group,
    );
    return { id: batchId, jobs: added };
  }

  async #addMany(
    jobs: readonly BulkJob<J>[],
    batch: BatchSpec | undefined,
    single = false,
    group?: string,
  ): Promise<AddedJob<JobData<J, JobName<J>>, JobName<J>>[]> {
    this.#assertOpen();
    if (!Array.isArray(jobs))
      throw new OptionTypeError(
        `Expected \`jobs\` to be an array, got ${describeValue(jobs)}`,
        'jobs',
      );
    const encoded = encodeJobs(jobs, {
      defaults: this.#options.defaultJobOptions,
      maxPayloadSize: this.#options.maxPayloadSize,
      batch: batch !== undefined,
      single,
      group,
    });
    const loading = loadTracing();
    if (loading) await loading;
    const traceparent = callerTraceparent();
    const chunks: JobToAdd[][] = [];
    for (let i = 0; i < encoded.length; i += MAX_JOBS_PER_CALL)
      chunks.push(encoded.slice(i, i + MAX_JOBS_PER_CALL));
    const replies = batch
      ? await addBatchChunks(this.#scripts, batch, chunks, traceparent)
      : (
          await Promise.all(chunks.map((chunk) => this.#scripts.add(undefined, chunk, traceparent)))
        ).flat();
    // Built field by field, not spread: this runs for every job of a bulk add.
    return jobs.map((job, index) => {
      const reply = replies[index];
      const added: Mutable<AddedJob<JobData<J, JobName<J>>, JobName<J>>> = {
        id: reply?.id ?? '',
        name: job.name,
        data: job.data,
        duplicate: reply?.duplicate ?? false,
        cached: reply?.cached ?? false,
      };
      if (batch) {
        added.batchId = batch.id;
        added.batchIndex = index;
      }
      const group = encoded[index]?.group;
      if (group !== undefined) added.group = group;
      return added;
    });
  }

  /** A job's state, data, attempts, result or error and timestamps; `null` if there is no such job. */
  async getJob<N extends JobName<J> = JobName<J>>(
    id: string,
  ): Promise<JobInfo<JobData<J, N>, JobResult<J, N>, N> | null> {
    this.#assertOpen();
    return (await this.#reader.getJob(checkString('id', id))) as JobInfo<
      JobData<J, N>,
      JobResult<J, N>,
      N
    > | null;
  }

  /**
   * Jobs in one state: `waiting` and `delayed` in the order they will run,
   * `active` oldest lease first, `completed` and `failed` most recent first.
   */
  async getJobs(
    state: JobState,
    options?: GetJobsOptions,
  ): Promise<JobInfo<JobData<J, JobName<J>>>[]> {
    this.#assertOpen();
    return (await this.#reader.getJobs(state, options)) as JobInfo<JobData<J, JobName<J>>>[];
  }

  /** How many jobs are in each state, read atomically. */
  getCounts(): Promise<JobCounts> {
    this.#assertOpen();
    return this.#reader.getCounts();
  }

  /** The pools working on this queue now, from every process and machine (by their heartbeats). */
  getPools(): Promise<ConnectedPool[]> {
    this.#assertOpen();
    return this.#reader.getPools();
  }

  /**
   * Jobs completed and failed per minute, over the last `minutes` (at most
   * 60); the jobs waiting and the queue lag (`oldestWaitingAgeMs`), to scale
   * worker processes on.
   */
  getMetrics(minutes?: number): Promise<QueueMetrics> {
    this.#assertOpen();
    return this.#reader.getMetrics(minutes);
  }

  /**
   * Wait for a job to finish, from any process: resolves with its result,
   * rejects with a `JobFailedError` (the job's error as `cause`) if it failed,
   * a `JobNotFoundError` if there is no such job, or a `WaitTimeoutError`.
   */
  async waitForResult<N extends JobName<J> = JobName<J>>(
    id: string,
    options: WaitForResultOptions = {},
  ): Promise<JobResult<J, N>> {
    this.#assertOpen();
    checkString('id', id);
    checkWaitOptions(options, ['timeout', 'signal', 'onProgress']);
    const following = options.onProgress
      ? await this.#progress.followJob(id, options.onProgress)
      : undefined;
    try {
      return await waitForJob<JobResult<J, N>>(this.#watcher, this.#waitReads, id, options);
    } finally {
      await following?.stop();
    }
  }

  /** A batch's progress, or `null` if there is no such batch (or it expired). */
  getBatch(id: string): Promise<BatchProgress | null> {
    this.#assertOpen();
    return this.#reader.getBatch(checkString('id', id));
  }

  /** Every job of a batch at its position: result, error, or still pending. */
  getBatchResults<Result = unknown>(id: string): Promise<BatchItem<Result>[]> {
    this.#assertOpen();
    return this.#reader.getBatchResults<Result>(checkString('id', id));
  }

  /**
   * Wait until every job of a batch completed or failed; resolves with the
   * progress and each job's outcome in the order they were added. A batch
   * with failed jobs still resolves: look at `failed` and each item's `state`.
   */
  async waitForBatch<Result = unknown>(
    id: string,
    options: WaitForBatchOptions = {},
  ): Promise<BatchResult<Result>> {
    this.#assertOpen();
    checkString('id', id);
    checkWaitOptions(options, ['timeout', 'signal', 'onProgress', 'onItemProgress']);
    const following = options.onItemProgress
      ? await this.#progress.followBatch(id, options.onItemProgress)
      : undefined;
    try {
      return await waitForBatch<Result>(
        this.#watcher,
        this.#waitReads,
        { logger: this.#options.logger, queue: this.name },
        id,
        options,
      );
    } finally {
      await following?.stop();
    }
  }

  /** Send a failed job back to `waiting`, its attempts reset. */
  async retryJob(id: string): Promise<void> {
    this.#assertOpen();
    const reply = await this.#scripts.retryJob(checkString('id', id));
    if (reply === 'missing') throw new JobNotFoundError(id);
    if (reply === 'completed') throw new InvalidJobStateError(id, 'completed', 'retry');
    if (reply === 'notFailed') throw new InvalidJobStateError(id, 'not failed', 'retry');
  }

  /**
   * Cancel a job, from any process. A waiting or delayed job ends `failed` with
   * a `JobCancelledError` at once; a running one too, and its handler's signal
   * aborts with that error (whatever the handler returns after is refused). It
   * is never retried. A finished job gives an `InvalidJobStateError`.
   */
  async cancel(id: string, options: CancelOptions = {}): Promise<void> {
    this.#assertOpen();
    checkString('id', id);
    const reason = checkCancelOptions(options);
    const error = cancelErrorJson(id, reason);
    cancelOutcome(id, await this.#scripts.cancel({ id, error, reason }));
  }

  /** Cancel every unfinished job of a batch; resolves with how many were cancelled. */
  async cancelBatch(batchId: string, options: CancelOptions = {}): Promise<number> {
    this.#assertOpen();
    checkString('batchId', batchId);
    const reason = checkCancelOptions(options);
    if (!(await this.#reader.getBatch(batchId))) throw new BatchNotFoundError(batchId);
    let cancelled = 0;
    // Jobs move while the queue is read (a delayed one becomes waiting): look again until none is left.
    for (let pass = 0; pass < 5; pass++) {
      const ids = await unfinishedBatchJobs(this.#handle.client, this.#keys, batchId);
      if (ids.length === 0) break;
      for (const id of ids) {
        const error = cancelErrorJson(id, reason);
        const reply = await this.#scripts.cancel({ id, error, reason });
        if (reply === 'waiting' || reply === 'delayed' || reply === 'active') cancelled++;
      }
    }
    return cancelled;
  }

  /** Remove a job that is not running (and its result). A running job cannot be removed. */
  async removeJob(id: string): Promise<void> {
    this.#assertOpen();
    const reply = await this.#scripts.removeJob(checkString('id', id));
    if (reply === 'missing') throw new JobNotFoundError(id);
    if (reply === 'active') throw new InvalidJobStateError(id, 'active', 'remove');
  }

  /** Stop every pool on this queue from claiming jobs (running jobs finish). */
  async pause(): Promise<void> {
    this.#assertOpen();
    await pauseQueue(this.#handle.client, this.#keys);
  }

  /**
   * Undo `pause()` (or the pause of a handler's `QuotaExceededError`, and its
   * reason), and lift a rate-limit hold: pools claim again at once.
   */
  async resume(): Promise<void> {
    this.#assertOpen();
    await resumeQueue(this.#handle.client, this.#keys);
  }

  /**
   * Stop every pool from starting jobs of one group (its running jobs finish;
   * other groups go on). Its jobs wait, in order, until `resumeGroup()`.
   */
  async pauseGroup(group: string): Promise<void> {
    this.#assertOpen();
    await this.#scripts.setGroupPaused(checkGroup('group', group), true);
  }

  /** Undo `pauseGroup()`: the group's jobs take their turns again at once. */
  async resumeGroup(group: string): Promise<void> {
    this.#assertOpen();
    await this.#scripts.setGroupPaused(checkGroup('group', group), false);
  }

  /** How many jobs of one group are in each state, read atomically; zeros for an unknown group. */
  async getGroupCounts(group: string): Promise<GroupCounts> {
    this.#assertOpen();
    return readGroupCounts(this.#handle.client, this.#keys, checkGroup('group', group));
  }

  /**
   * The groups with the most waiting jobs (at most `limit`), for a dashboard:
   * read from the groups taking turns, parked or at their concurrency, so it
   * costs the same with a million groups.
   */
  async getGroups(limit = 10): Promise<GroupSummary[]> {
    this.#assertOpen();
    return readTopGroups(
      this.#handle.client,
      this.#keys,
      checkInteger('limit', limit, { min: 1, max: 1000 }),
    );
  }

  /**
   * How many groups are ready (taking turns), limited (held by a group-scoped
   * 429 or over `group.limiter`) and set aside (paused, or at
   * `group.concurrency`): a few O(1) reads, whatever the number of groups.
   */
  async getGroupTotals(): Promise<GroupTotals> {
    this.#assertOpen();
    return readGroupTotals(this.#handle.client, this.#keys);
  }

  /** Whether the queue is paused: by `pause()`, `worker-pool pause`, or a `QuotaExceededError`. */
  async isPaused(): Promise<boolean> {
    this.#assertOpen();
    return isQueuePaused(this.#handle.client, this.#keys);
  }

  /**
   * Why the queue is paused, when a handler's `QuotaExceededError` paused it:
   * the error's message (at most 500 bytes), when, and the job that threw it
   * (the first such error since the last resume). Null when the queue is not
   * paused, or was paused by `pause()` alone. `resume()` clears it.
   */
  async getPauseReason(): Promise<PauseReason | null> {
    this.#assertOpen();
    return readPauseReason(this.#handle.client, this.#keys);
  }

  /** Close the connections this queue opened; pending waits reject. Safe to call twice. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      await this.#watcher.close();
      this.#progress.close();
      await closeClient(this.#handle);
    })();
    return this.#closed;
  }

  #assertOpen(): void {
    if (this.#closed) throw new QueueClosedError(`Queue \`${this.name}\` is closed`);
  }
}
