import type { QueueKeys } from '../keys.js';
import heartbeatScript from '../lua/heartbeat-2.lua';

/** Records that a pool is alive, or that it left (see heartbeat-2.lua). */
export const script = heartbeatScript;

export interface HeartbeatRequest {
  poolId: string;
  /** The pool's info (`PoolInfo`), JSON. */
  info: string;
  leaving: boolean;
}

export function encode(keys: QueueKeys, { poolId, info, leaving }: HeartbeatRequest): string[] {
  return [keys.pools, keys.poolsSeen, poolId, info, leaving ? '1' : '0'];
}

/** Redis time (ms). */
export function decode(reply: unknown): number {
  return Number(reply);
}
