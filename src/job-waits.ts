import type { BatchItem, BatchProgress, BatchResult } from './batch.js';
import {
  BatchNotFoundError,
  JobFailedError,
  JobNotFoundError,
  type StoredError,
} from './errors.js';
import type { Follower } from './event-stream.js';
import type { CheckResult, FinishWatcher } from './finish-watcher.js';
import type { JobInfo } from './job.js';
import type { Logger } from './logger.js';
import type { QueueEvent } from './redis/protocol/events.js';
import { deserialize } from './serialize.js';
import type { WaitForBatchOptions, WaitOptions } from './wait-options.js';

/** What the waits read, each one round trip to Redis. */
export interface WaitReads {
  getJob(id: string): Promise<JobInfo | null>;
  /**
   * The id of the events stream's last entry, and the newest record of job
   * `id` among the last entries, if there is one.
   */
  findEvent(id: string): Promise<{ tip: string; event?: QueueEvent }>;
  /** The batch's progress with its meta, or null if there is no such batch. */
  readProgress(id: string): Promise<BatchProgress | null>;
  /** The batch's progress without its meta (a few small fields), or null. */
  readCounters(id: string): Promise<BatchProgress | null>;
  /** The batch's progress and every item, or null. */
  readBatch<Result>(
    id: string,
  ): Promise<{ progress: BatchProgress; items(): BatchItem<Result>[] } | null>;
}

/**
 * `queue.waitForResult()`: the job's result once it completed, a
 * `JobFailedError` once it failed for good, a `JobNotFoundError` when it is
 * gone and its outcome is nowhere in Redis.
 */
export function waitForJob<Result>(
  watcher: FinishWatcher,
  reads: WaitReads,
  id: string,
  options: WaitOptions,
): Promise<Result> {
  // What the events said of the job, for the reason of a JobNotFoundError.
  let seen: QueueEvent['kind'] | undefined;
  const settle = (events: readonly QueueEvent[]): CheckResult<Result> | undefined => {
    for (const event of events) {
      if (event.kind === 'batchFinished' || event.id !== id) continue;
      seen = event.kind;
      // A job removed as it finished: the stream entry written with it holds its outcome.
      if (event.kind === 'finished' && event.outcome !== undefined) {
        if (event.state === 'failed')
          throw new JobFailedError(id, deserialize<StoredError>(event.outcome));
        return { done: true, value: deserialize<Result>(event.outcome) };
      }
    }
    return undefined;
  };
  const check = async (follower: Follower): Promise<CheckResult<Result>> => {
    const told = settle(follower.take());
    if (told) return told;
    const job = await reads.getJob(id);
    if (job) {
      if (job.state === 'completed') return { done: true, value: job.result as Result };
      if (job.state === 'failed')
        throw new JobFailedError(id, job.error ?? { name: 'Error', message: 'unknown error' });
      return { done: false };
    }
    // Gone. If it was removed as it finished, its outcome is in the stream: among
    // the last entries (it finished just before this wait began), or in one on
    // its way to this follower (it finished since).
    const { tip, event } = await reads.findEvent(id);
    const found = event && settle([event]);
    if (found) return found;
    await follower.caughtUp(tip);
    const late = settle(follower.take());
    if (late) return late;
    throw new JobNotFoundError(id, 'Job', reasonGone(seen));
  };
  return watcher.wait<Result>(`job:${id}`, check, {
    timeout: options.timeout,
    what: `job ${id}`,
    signal: options.signal,
  });
}

function reasonGone(seen: QueueEvent['kind'] | undefined): string | undefined {
  if (seen === 'removed') return 'it was removed before it finished';
  if (seen === 'finished')
    return 'it finished, but its retention removed it before its result could be read';
  return undefined;
}

/**
 * `queue.waitForBatch()`: reads the batch's counters when one of its jobs
 * finished (a few bytes), and its items once, when it is done.
 */
export function waitForBatch<Result>(
  watcher: FinishWatcher,
  reads: WaitReads,
  { logger, queue }: { logger: Logger; queue: string },
  id: string,
  options: WaitForBatchOptions,
): Promise<BatchResult<Result>> {
  let meta: { meta?: unknown } | undefined;
  let last = '';
  const check = async (follower: Follower): Promise<CheckResult<BatchResult<Result>>> => {
    // Which of its jobs finished does not matter here: the counters say how far it is.
    follower.take();
    let progress: BatchProgress | null;
    if (meta === undefined) {
      // The meta (an ebook's outline) may be large: read once.
      progress = await reads.readProgress(id);
      if (progress) meta = 'meta' in progress ? { meta: progress.meta } : {};
    } else {
      const counters = await reads.readCounters(id);
      progress = counters && Object.freeze({ ...counters, ...meta });
    }
    if (!progress) throw new BatchNotFoundError(id);
    const seen = `${progress.completed}/${progress.failed}`;
    if (seen !== last) {
      last = seen;
      try {
        options.onProgress?.(progress);
      } catch (error) {
        logger.error(
          `onProgress threw: ${error instanceof Error ? error.message : String(error)}`,
          {
            scope: 'Queue',
            queue,
            batchId: id,
            ...(error instanceof Error ? { err: error } : {}),
          },
        );
      }
    }
    if (!progress.done) return { done: false };
    const batch = await reads.readBatch<Result>(id);
    if (!batch) throw new BatchNotFoundError(id);
    return { done: true, value: Object.freeze({ ...batch.progress, items: batch.items() }) };
  };
  return watcher.wait<BatchResult<Result>>(`batch:${id}`, check, {
    timeout: options.timeout,
    what: `batch ${id}`,
    signal: options.signal,
  });
}
