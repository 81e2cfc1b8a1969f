import type { RedisClient } from '../../connection.js';
import type { QueueKeys } from '../keys.js';

/**
 * The queue-wide pause flag: the `paused` field of the queue's meta hash,
 * which the move script reads before it claims. Resuming also touches the
 * marker (member `m`), so idle pools blocked on it wake at once.
 *
 * The rate-limit hold is the meta hash's `held` field: Redis time (ms) until
 * which no pool claims, set by the move script when a handler throws a
 * `RateLimitError`. Resuming clears it too.
 */
export async function pauseQueue(client: RedisClient, keys: QueueKeys): Promise<void> {
  await client.hset(keys.meta, 'paused', '1');
}

/**
 * Why the queue is paused, when the move script paused it for a
 * `QuotaExceededError` (see move-18+.lua): `pr` the error's message (bounded),
 * `pt` when (ms, Redis clock), `pj` the job whose handler threw it.
 */
const REASON_FIELDS = ['pr', 'pt', 'pj'] as const;

export async function resumeQueue(client: RedisClient, keys: QueueKeys): Promise<void> {
  await client
    .multi()
    .hdel(keys.meta, 'paused', 'held', ...REASON_FIELDS)
    .zadd(keys.marker, 0, 'm')
    .exec();
}

/** Why a queue is paused, when a handler's `QuotaExceededError` paused it. */
export interface PauseReason {
  /** The error's message, at most 500 bytes (cut with `...`). */
  readonly reason: string;
  /** When the queue was paused (ms since the epoch, Redis clock). */
  readonly at: number;
  /** The job whose handler threw the error. */
  readonly jobId: string;
}

export async function readPauseReason(
  client: RedisClient,
  keys: QueueKeys,
): Promise<PauseReason | null> {
  const [paused, reason, at, jobId] = await client.hmget(keys.meta, 'paused', ...REASON_FIELDS);
  // A reason outlives nothing: resume() deletes both; a reason without the pause is not shown.
  if (typeof paused !== 'string' || typeof reason !== 'string') return null;
  return Object.freeze({ reason, at: Number(at ?? 0), jobId: jobId ?? '' });
}

export async function isQueuePaused(client: RedisClient, keys: QueueKeys): Promise<boolean> {
  return (await client.hexists(keys.meta, 'paused')) === 1;
}

/** The meta hash field read by `heldUntil` (for a MULTI that reads it with other things). */
export const HOLD_FIELD = 'held';

/**
 * When a rate-limit hold ends, from the meta hash's `held` value and Redis
 * `TIME`; undefined when the queue is not held (or the hold is over).
 */
export function heldUntil(
  held: string | null,
  time: readonly [string, string],
): number | undefined {
  const until = Number(held);
  const now = Number(time[0]) * 1000 + Math.floor(Number(time[1]) / 1000);
  return held !== null && Number.isFinite(until) && until > now ? until : undefined;
}
