import type { RedisClient } from '../../connection.js';
import type { QueueKeys } from '../keys.js';

/**
 * The queue-wide pause flag: the `paused` field of the queue's meta hash,
 * which the move script reads before it claims. Resuming also touches the
 * marker (member `m`), so idle pools blocked on it wake at once.
 */
export async function pauseQueue(client: RedisClient, keys: QueueKeys): Promise<void> {
  await client.hset(keys.meta, 'paused', '1');
}

export async function resumeQueue(client: RedisClient, keys: QueueKeys): Promise<void> {
  await client.multi().hdel(keys.meta, 'paused').zadd(keys.marker, 0, 'm').exec();
}

export async function isQueuePaused(client: RedisClient, keys: QueueKeys): Promise<boolean> {
  return (await client.hexists(keys.meta, 'paused')) === 1;
}
