import type { BatchItem, BatchProgress } from '../../batch.js';
import type { RedisClient } from '../../connection.js';
import type { StoredError } from '../../errors.js';
import { deserialize } from '../../serialize.js';
import type { QueueKeys } from '../keys.js';

/**
 * A batch's hash (`<base>batch:<id>`), written by the add, move and
 * remove-job scripts: `total`, `completed` and `failed` counters, `t` when it
 * was added, `f` when its last job finished, `m` its meta JSON, `ttl`, `th`
 * its `then` job's spec until the batch ends and `tj` that job's id after
 * (see then-job.ts), and
 * each job's outcome by position: `r:<index>` its result JSON, `e:<index>`
 * its error JSON. Read and decoded here only.
 */

/** The batch hash fields `decodeProgress()` reads, in its order. */
const PROGRESS_FIELDS = ['total', 'completed', 'failed', 't', 'f', 'tj', 'm'] as const;

/** Decode the `PROGRESS_FIELDS` of a batch hash. */
function decodeProgress(
  id: string,
  fields: readonly (string | null | undefined)[],
): BatchProgress | null {
  const [total, completed, failed, createdAt, finishedAt, thenJobId, meta] = fields;
  if (total === null || total === undefined) return null;
  const progress = {
    id,
    total: Number(total),
    completed: Number(completed ?? 0),
    failed: Number(failed ?? 0),
    pending: Number(total) - Number(completed ?? 0) - Number(failed ?? 0),
    done: Number(completed ?? 0) + Number(failed ?? 0) >= Number(total),
    createdAt: Number(createdAt ?? 0),
    ...(finishedAt ? { finishedAt: Number(finishedAt) } : {}),
    ...(meta ? { meta: deserialize(meta) } : {}),
    ...(thenJobId ? { thenJobId } : {}),
  };
  return Object.freeze(progress);
}

/** Decode a batch hash (`HGETALL`) into its items, in order. */
function decodeItems<Result>(total: number, hash: Record<string, string>): BatchItem<Result>[] {
  const items: BatchItem<Result>[] = [];
  for (let index = 0; index < total; index++) {
    const result = hash[`r:${index}`];
    const error = hash[`e:${index}`];
    if (result !== undefined)
      items.push({ index, state: 'completed', result: deserialize<Result>(result) });
    else if (error !== undefined)
      items.push({ index, state: 'failed', error: deserialize<StoredError>(error) });
    else items.push({ index, state: 'pending' });
  }
  return items;
}

/** A batch's progress (one HMGET), or null if there is no such batch. */
export async function readProgress(
  client: RedisClient,
  keys: QueueKeys,
  id: string,
): Promise<BatchProgress | null> {
  return decodeProgress(id, await client.hmget(keys.batch(id), ...PROGRESS_FIELDS));
}

/**
 * A batch's progress without its meta (one HMGET of six small fields), or
 * null: what a wait reads each time one of the batch's jobs finished.
 */
export async function readCounters(
  client: RedisClient,
  keys: QueueKeys,
  id: string,
): Promise<BatchProgress | null> {
  const fields = await client.hmget(keys.batch(id), ...PROGRESS_FIELDS.slice(0, -1));
  return decodeProgress(id, fields);
}

/** A batch's progress and every job's outcome in order (one HGETALL), or null if there is no such batch. */
export async function readBatch<Result>(
  client: RedisClient,
  keys: QueueKeys,
  id: string,
): Promise<{ progress: BatchProgress; items(): BatchItem<Result>[] } | null> {
  const hash = await client.hgetall(keys.batch(id));
  const progress = decodeProgress(
    id,
    PROGRESS_FIELDS.map((field) => hash[field]),
  );
  if (!progress) return null;
  // Items are decoded only when asked for.
  return { progress, items: () => decodeItems<Result>(progress.total, hash) };
}
