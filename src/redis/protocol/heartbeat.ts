import type { PoolInfo } from '../../pool-info.js';
import type { QueueKeys } from '../keys.js';
import heartbeatScript from '../lua/heartbeat-2.lua';

/** Records that a pool is alive, or that it left (see heartbeat-2.lua). */
export const script = heartbeatScript;

export interface HeartbeatRequest {
  poolId: string;
  /** What `queue.getPools()` shows of it. */
  info: PoolInfo;
  leaving: boolean;
}

export function encode(keys: QueueKeys, { poolId, info, leaving }: HeartbeatRequest): string[] {
  return [keys.pools, keys.poolsSeen, poolId, JSON.stringify(info), leaving ? '1' : '0'];
}

/** Redis time (ms). */
export function decode(reply: unknown): number {
  return Number(reply);
}
