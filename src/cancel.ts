import type { RedisClient } from './connection.js';
import { InvalidJobStateError, JobCancelledError, JobNotFoundError } from './errors.js';
import type { QueueKeys } from './redis/keys.js';
import type { CancelReply } from './redis/protocol/cancel.js';
import { JOB_FIELDS } from './redis/protocol/job-fields.js';
import { checkKnownKeys, checkObject, checkString } from './validate.js';

/** Options of `queue.cancel()` and `queue.cancelBatch()`. */
export interface CancelOptions {
  /** Why: stored in the job's error and handed to the handler's abort reason. */
  reason?: string;
}

/** Validate cancel options; returns the reason ('' for none). */
export function checkCancelOptions(options: unknown): string {
  const o = checkObject('cancel options', options);
  checkKnownKeys('cancel options', o, ['reason']);
  if (o.reason === undefined) return '';
  return checkString('reason', o.reason, { nonEmpty: false }).slice(0, 1000);
}

/** The error stored on a cancelled job, as JSON (the shape of a stored error). */
export function cancelErrorJson(id: string, reason: string): string {
  const error = new JobCancelledError(id, reason || undefined);
  return JSON.stringify({ name: error.name, code: error.code, message: error.message });
}

/** A cancel's reply as the caller sees it: nothing for a job cancelled, else its error. */
export function cancelOutcome(id: string, reply: CancelReply): void {
  if (reply === 'missing') throw new JobNotFoundError(id);
  if (reply === 'completed' || reply === 'failed')
    throw new InvalidJobStateError(id, reply, 'cancel');
}

/**
 * The ids of batch `batchId`'s unfinished jobs: those in `wait`, `active` and
 * `delayed` whose hash names the batch. A batch does not list its jobs (that
 * would cost every batch job bytes it may never need), so this reads the
 * queue's unfinished jobs, 1000 at a time.
 */
export async function unfinishedBatchJobs(
  client: RedisClient,
  keys: QueueKeys,
  batchId: string,
): Promise<string[]> {
  const found: string[] = [];
  const PAGE = 1000;
  const sources: ((start: number) => Promise<string[]>)[] = [
    (start) => client.lrange(keys.wait, start, start + PAGE - 1),
    (start) => client.zrange(keys.active, String(start), String(start + PAGE - 1)),
    (start) => client.zrange(keys.delayed, String(start), String(start + PAGE - 1)),
  ];
  for (const read of sources) {
    for (let start = 0; ; start += PAGE) {
      const ids = await read(start);
      if (ids.length === 0) break;
      const pipeline = client.pipeline();
      for (const id of ids) pipeline.hget(keys.job(id), JOB_FIELDS.batchId);
      const replies = (await pipeline.exec()) ?? [];
      ids.forEach((id, i) => {
        if (replies[i]?.[1] === batchId) found.push(id);
      });
      if (ids.length < PAGE) break;
    }
  }
  return [...new Set(found)];
}
