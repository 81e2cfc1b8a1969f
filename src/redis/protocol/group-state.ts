import type { RedisClient } from '../../connection.js';
import type { QueueKeys } from '../keys.js';
import groupStateScript from '../lua/group-state-7.lua';

/**
 * One group's pause flag and counts (see includes/groups.lua for its keys).
 * Pausing and resuming is a script, so a resumed group's turns and the wake-up
 * of idle pools come in one step.
 */
export const script = groupStateScript;

export function encode(keys: QueueKeys, op: 'pause' | 'resume', group: string): string[] {
  return [
    keys.meta,
    keys.marker,
    keys.group(group),
    keys.groupWait(group),
    keys.groupRing,
    keys.groupsAside,
    keys.groupsParked,
    keys.base,
    op,
    group,
  ];
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

/** A group with work, as `getGroups()` lists it. */
export interface GroupSummary {
  readonly group: string;
  readonly waiting: number;
  readonly active: number;
  readonly paused: boolean;
}

/** Groups looked at by `readTopGroups()` from each of the ring, the parked and the set-aside groups. */
export const GROUPS_LOOKED_AT = 1000;

/**
 * The groups with the most waiting jobs, among those taking turns, parked, or
 * set aside (paused, or at their concurrency), at most GROUPS_LOOKED_AT of
 * each: two round trips, whatever the number of groups.
 */
export async function readTopGroups(
  client: RedisClient,
  keys: QueueKeys,
  limit: number,
): Promise<GroupSummary[]> {
  const [ring, parked, full] = await Promise.all([
    client.lrange(keys.groupRing, 0, GROUPS_LOOKED_AT - 1),
    client.zrange(keys.groupsParked, '0', String(GROUPS_LOOKED_AT - 1)),
    client.srandmember(keys.groupsAside, GROUPS_LOOKED_AT),
  ]);
  // '' in the ring stands for the jobs with no group.
  const names = [...new Set([...ring, ...parked, ...full])].filter((g) => g !== '');
  if (names.length === 0) return [];
  const pipeline = client.pipeline();
  for (const g of names) pipeline.llen(keys.groupWait(g)).hmget(keys.group(g), 'a', 'p');
  const replies = (await pipeline.exec()) ?? [];
  const groups = names.map((group, i) => {
    const [, waiting] = replies[i * 2] ?? [];
    const [, fields] = replies[i * 2 + 1] ?? [];
    const [a, p] = (fields ?? []) as (string | null)[];
    return Object.freeze({
      group,
      waiting: Number(waiting ?? 0),
      active: Number(a ?? 0),
      paused: p !== null && p !== undefined,
    });
  });
  return groups.sort((x, y) => y.waiting - x.waiting || y.active - x.active).slice(0, limit);
}

/** How many groups are in each scheduling state, as `getGroupTotals()` reads them. */
export interface GroupTotals {
  /** Groups with jobs ready, taking their turns. */
  readonly ready: number;
  /** Groups held until a time: by a `RateLimitError` with `scope: 'group'`, or over `group.limiter`. */
  readonly limited: number;
  /** Groups with jobs set aside: paused (`pauseGroup()`), or at `group.concurrency`. */
  readonly setAside: number;
}

/**
 * Count the groups in the ring (less the turn of the jobs with no group), the
 * parked and the set-aside groups: one round trip of O(1) commands, whatever
 * the number of groups.
 */
export async function readGroupTotals(client: RedisClient, keys: QueueKeys): Promise<GroupTotals> {
  const replies = await client
    .multi()
    .llen(keys.groupRing)
    .lpos(keys.groupRing, '')
    .zcard(keys.groupsParked)
    .scard(keys.groupsAside)
    .exec();
  const [ring, none, parked, aside] = (replies ?? []).map(([error, value]) => {
    if (error) throw error;
    return value;
  });
  return Object.freeze({
    ready: Math.max(0, Number(ring ?? 0) - (none === null || none === undefined ? 0 : 1)),
    limited: Number(parked ?? 0),
    setAside: Number(aside ?? 0),
  });
}
