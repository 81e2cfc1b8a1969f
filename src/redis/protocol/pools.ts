import type { RedisClient } from '../../connection.js';
import type { PoolInfo } from '../../pool-info.js';
import type { QueueKeys } from '../keys.js';

/** A pool's last heartbeat, as the heartbeat script stored it. */
export interface PoolSighting {
  readonly info: PoolInfo;
  /** Milliseconds since its last heartbeat (Redis clock). */
  readonly lastSeenAgo: number;
}

/**
 * Every pool with a heartbeat on record: the `pools` hash (pool id -> info
 * JSON) and the `pools:seen` set (pool id -> last heartbeat), read with Redis
 * time in one MULTI.
 */
export async function readPools(client: RedisClient, keys: QueueKeys): Promise<PoolSighting[]> {
  const replies = await client
    .multi()
    .time()
    .hgetall(keys.pools)
    .zrange(keys.poolsSeen, '0', '-1', 'WITHSCORES')
    .exec();
  const [[, time], [, infos], [, seen]] = (replies ?? []) as [unknown, unknown][] as [
    [unknown, [string, string]],
    [unknown, Record<string, string>],
    [unknown, string[]],
  ];
  // TIME answers seconds and microseconds.
  const now = Number(time[0]) * 1000 + Math.floor(Number(time[1]) / 1000);
  const pools: PoolSighting[] = [];
  for (let i = 0; i + 1 < seen.length; i += 2) {
    const info = infos[seen[i] as string];
    if (!info) continue;
    pools.push({
      info: JSON.parse(info) as PoolInfo,
      lastSeenAgo: Math.max(0, now - Number(seen[i + 1])),
    });
  }
  return pools;
}
