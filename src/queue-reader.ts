import type { BatchItem, BatchProgress } from './batch.js';
import type { RedisClient } from './connection.js';
import { BatchNotFoundError } from './errors.js';
import type { JobInfo, JobState } from './job.js';
import type { PoolInfo } from './pool-info.js';
import { metricsField, type QueueKeys } from './redis/keys.js';
import { readBatch, readProgress } from './redis/protocol/batch-hash.js';
import { readPools } from './redis/protocol/pools.js';
import { heldUntil, HOLD_FIELD } from './redis/protocol/queue-state.js';
import { finishedSets, policySetsKey, readRecent } from './redis/protocol/retention-sets.js';
import type { Scripts } from './redis/scripts.js';
import { checkGroup } from './groups.js';
import { checkInteger, checkKnownKeys, checkObject, checkOneOf } from './validate.js';

/** How many jobs are in each state. */
export interface JobCounts {
  readonly waiting: number;
  readonly delayed: number;
  readonly active: number;
  readonly completed: number;
  readonly failed: number;
  /**
   * Set while a handler's `RateLimitError` holds the queue: until when (ms,
   * Redis clock) no pool claims. `queue.resume()` ends the hold early.
   */
  readonly rateLimitedUntil?: number;
}

export interface GetJobsOptions {
  /** Skip this many. @default 0 */
  start?: number;
  /** Return at most this many. @default 50 */
  limit?: number;
  /**
   * Only the jobs of this group. `waiting` reads the group's own line; the
   * other states look through their most recent GROUP_SCAN_LIMIT jobs.
   * Without it, `waiting` lists the jobs with no group.
   */
  group?: string;
}

/** Jobs of a state looked through for `getJobs(state, { group })`, other than `waiting`. */
export const GROUP_SCAN_LIMIT = 10_000;

/** A running pool, with when Redis last heard from it. */
export interface ConnectedPool extends PoolInfo {
  /** Milliseconds since its last heartbeat (Redis clock). */
  readonly lastSeenAgo: number;
}

/**
 * Jobs finished per minute, and the backlog now: what to scale worker
 * processes on (see docs/deployment.md).
 */
export interface QueueMetrics {
  /** Jobs in `waiting` now (with or without a group). */
  readonly waiting: number;
  /**
   * The queue lag: milliseconds since the longest-waiting job next in line
   * became ready to run, 0 when nothing waits. Counted from when the job was
   * added, or, for a delayed job or a retry, from when it became due (not from
   * when it was added), or from when it was handed back or reclaimed. Looks at
   * the next 20 jobs of the line (and the next job of each of the next 20
   * groups), so it costs the same with a million jobs waiting.
   */
  readonly oldestWaitingAgeMs: number;
  /** Per minute, oldest first; the last entry is the minute under way. */
  readonly minutes: readonly {
    readonly at: number;
    readonly completed: number;
    readonly failed: number;
    /** Adds whose `cache` key gave an existing job. */
    readonly cacheHits: number;
    /** Adds with a `cache` key that found no job to reuse, and added one. */
    readonly cacheMisses: number;
  }[];
}

const STATES: readonly JobState[] = ['waiting', 'delayed', 'active', 'completed', 'failed'];

/**
 * The read side of a queue: jobs, counts, batches, pools and metrics, as
 * stored in Redis. Every read is one round trip (a script, a MULTI or a
 * pipeline), whatever the number of jobs it returns.
 */
export class QueueReader {
  readonly #client: RedisClient;
  readonly #scripts: Scripts;
  readonly #keys: QueueKeys;

  constructor(client: RedisClient, scripts: Scripts, keys: QueueKeys) {
    this.#client = client;
    this.#scripts = scripts;
    this.#keys = keys;
  }

  async getJob(id: string): Promise<JobInfo | null> {
    return this.#scripts.getJob(id);
  }

  /**
   * Jobs in one state: `waiting` and `delayed` in the order they will run,
   * `active` oldest lease first, `completed` and `failed` most recent first.
   */
  async getJobs(state: JobState, options: GetJobsOptions = {}): Promise<JobInfo[]> {
    checkOneOf('state', state, STATES);
    const o = checkObject('options', options);
    checkKnownKeys('getJobs options', o, ['start', 'limit', 'group']);
    const group = o.group === undefined ? undefined : checkGroup('group', o.group);
    const start = o.start === undefined ? 0 : checkInteger('start', o.start, { min: 0 });
    const limit =
      o.limit === undefined ? 50 : checkInteger('limit', o.limit, { min: 1, max: 10_000 });
    const k = this.#keys;
    const end = start + limit - 1;
    if (group !== undefined && state !== 'waiting')
      return this.#groupJobs(state, group, start, limit);
    let ids: string[];
    if (state === 'waiting') {
      // The next job to run is at the tail of the list (RPOP).
      const list = group === undefined ? k.wait : k.groupWait(group);
      ids = (await this.#client.lrange(list, -1 - end, -1 - start)).reverse();
    } else if (state === 'completed' || state === 'failed') {
      const listed = await this.#client.smembers(policySetsKey(k, state));
      ids = await readRecent(this.#client, finishedSets(k, state, listed), start, end);
    } else {
      ids = await this.#client.zrange(
        state === 'delayed' ? k.delayed : k.active,
        String(start),
        String(end),
      );
    }
    const jobs = await Promise.all(ids.map((id) => this.getJob(id)));
    return jobs.filter((job): job is JobInfo => job !== null);
  }

  /** A group's jobs in `state`, among the first GROUP_SCAN_LIMIT of that state. */
  async #groupJobs(
    state: Exclude<JobState, 'waiting'>,
    group: string,
    start: number,
    limit: number,
  ): Promise<JobInfo[]> {
    const found: JobInfo[] = [];
    const chunk = 500;
    for (let at = 0; at < GROUP_SCAN_LIMIT && found.length < start + limit; at += chunk) {
      const jobs = await this.getJobs(state, { start: at, limit: chunk });
      found.push(...jobs.filter((job) => job.group === group));
      if (jobs.length < chunk) break;
    }
    return found.slice(start, start + limit);
  }

  /** How many jobs are in each state, read atomically. */
  async getCounts(): Promise<JobCounts> {
    const k = this.#keys;
    const replies = await this.#client
      .multi()
      .llen(k.wait)
      .zcard(k.delayed)
      .zcard(k.active)
      .zcard(k.completed)
      .zcard(k.failed)
      .hget(k.meta, HOLD_FIELD)
      .time()
      .smembers(policySetsKey(k, 'completed'))
      .smembers(policySetsKey(k, 'failed'))
      // Jobs waiting in their groups' lists (see lua/includes/groups.lua).
      .hget(k.meta, 'gw')
      .exec();
    const values = (replies ?? []).map(([error, value]) => {
      if (error) throw error;
      return value;
    });
    const [waiting = 0, delayed = 0, active = 0, ownCompleted = 0, ownFailed = 0] = values
      .slice(0, 5)
      .map(Number);
    const grouped = Number(values[9] ?? 0);
    // Jobs kept by a policy other than the default are in sets of their own.
    const others = (state: 'completed' | 'failed', listed: string[]) =>
      this.#countIn(finishedSets(k, state, listed).slice(1));
    const completed = ownCompleted + (await others('completed', values[7] as string[]));
    const failed = ownFailed + (await others('failed', values[8] as string[]));
    const until = heldUntil(values[5] as string | null, values[6] as [string, string]);
    return Object.freeze({
      waiting: waiting + grouped,
      delayed,
      active,
      completed,
      failed,
      ...(until === undefined ? {} : { rateLimitedUntil: until }),
    });
  }

  /** Jobs in `sets` (one more round trip, only when a queue uses several retention policies). */
  async #countIn(sets: readonly string[]): Promise<number> {
    if (sets.length === 0) return 0;
    const pipeline = this.#client.pipeline();
    for (const set of sets) pipeline.zcard(set);
    let total = 0;
    for (const [error, n] of (await pipeline.exec()) ?? []) {
      if (error) throw error;
      total += Number(n);
    }
    return total;
  }

  getBatch(id: string): Promise<BatchProgress | null> {
    return readProgress(this.#client, this.#keys, id);
  }

  async getBatchResults<Result>(id: string): Promise<BatchItem<Result>[]> {
    const batch = await readBatch<Result>(this.#client, this.#keys, id);
    if (!batch) throw new BatchNotFoundError(id);
    return batch.items();
  }

  /** Pools that sent a heartbeat within three heartbeat intervals, from any process or machine. */
  async getPools(): Promise<ConnectedPool[]> {
    const pools: ConnectedPool[] = [];
    for (const { info, lastSeenAgo } of await readPools(this.#client, this.#keys)) {
      if (lastSeenAgo <= 3 * info.heartbeatInterval)
        pools.push(Object.freeze({ ...info, lastSeenAgo }));
    }
    return pools;
  }

  /**
   * Jobs completed and failed, and cache hits and misses, in each of the last
   * `minutes` minutes (at most 60); the jobs waiting and the queue lag.
   */
  async getMetrics(minutes = 15): Promise<QueueMetrics> {
    const count = checkInteger('minutes', minutes, { min: 1, max: 60 });
    const [[seconds], lag] = await Promise.all([this.#client.time(), this.#scripts.queueLag()]);
    const current = Math.floor((Number(seconds) * 1000) / 60_000);
    const range = Array.from({ length: count }, (_, i) => current - count + 1 + i);
    const k = this.#keys;
    const values = await this.#client.hmget(
      k.metrics,
      ...range.map((m) => metricsField('completed', m)),
      ...range.map((m) => metricsField('failed', m)),
      ...range.map((m) => metricsField('cache-hits', m)),
      ...range.map((m) => metricsField('cache-misses', m)),
    );
    return Object.freeze({
      waiting: lag.waiting,
      oldestWaitingAgeMs: lag.oldestWaitingAgeMs,
      minutes: range.map((minute, i) => ({
        at: minute * 60_000,
        completed: Number(values[i] ?? 0),
        failed: Number(values[count + i] ?? 0),
        cacheHits: Number(values[2 * count + i] ?? 0),
        cacheMisses: Number(values[3 * count + i] ?? 0),
      })),
    });
  }
}
