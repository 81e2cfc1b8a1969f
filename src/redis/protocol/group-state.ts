import type { RedisClient } from '../../connection.js';
import type { QueueKeys } from '../keys.js';
import groupStateScript from '../lua/group-state-2.lua';

/**
 * One group's pause flag and counts (see includes/groups.lua for its keys).
 * Pausing and resuming is a script, so a resumed group's turns and the wake-up
 * of idle pools come in one step.
 */
export const script = groupStateScript;

export function encode(keys: QueueKeys, op: 'pause' | 'resume', group: string): string[] {
  return [keys.meta, keys.marker, keys.base, op, group];
}

/** How many jobs of one group are in each state. */
export interface GroupCounts {
  readonly waiting: number;
  readonly delayed: number;
  readonly active: number;
  /** Completed and failed jobs still kept by their retention. */
  readonly completed: number;
  readonly failed: number;
  /** The group is paused (`queue.pauseGroup()`). */
  readonly paused: boolean;
}

/** Read one group's counts atomically. A group that holds nothing reads as zeros. */
export async function readGroupCounts(
  client: RedisClient,
  keys: QueueKeys,
  group: string,
): Promise<GroupCounts> {
  const replies = await client
    .multi()
    .llen(keys.groupWait(group))
    .hmget(keys.group(group), 'd', 'a', 'c', 'f', 'p')
    .exec();
  const values = (replies ?? []).map(([error, value]) => {
    if (error) throw error;
    return value;
  });
  const [d, a, c, f, p] = (values[1] ?? []) as (string | null)[];
  return Object.freeze({
    waiting: Number(values[0] ?? 0),
    delayed: Number(d ?? 0),
    active: Number(a ?? 0),
    completed: Number(c ?? 0),
    failed: Number(f ?? 0),
    paused: p !== null && p !== undefined,
  });
}
