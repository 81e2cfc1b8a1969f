import type { RedisClient } from '../../connection.js';
import {
  DEFAULT_REMOVE_ON_COMPLETE,
  DEFAULT_REMOVE_ON_FAIL,
  encodeRetention,
} from '../../retention.js';
import type { QueueKeys } from '../keys.js';

/**
 * Where finished jobs are kept: one ZSET (id -> finish time) per state and
 * retention policy, so each job's policy trims only the jobs that share it
 * (see ../lua/includes/retention.lua, which builds the same names). Jobs with
 * the default policy are in the state's own key; the sets of other policies,
 * `<state key>:<count:age>`, have their policy listed in the SET `<state key>:sets`.
 */
export type FinishedState = 'completed' | 'failed';

/** The policies kept in the state's own key; includes/retention.lua has the same. */
export const DEFAULT_KEEP: Readonly<Record<FinishedState, string>> = Object.freeze({
  completed: encodeRetention(DEFAULT_REMOVE_ON_COMPLETE),
  failed: encodeRetention(DEFAULT_REMOVE_ON_FAIL),
});

/** The SET listing the policy sets of `state` other than its own key. */
export function policySetsKey(keys: QueueKeys, state: FinishedState): string {
  return `${keys[state]}:sets`;
}

/** Every set of `state`: its own key, then those of the policies `listed` in its `:sets` SET. */
export function finishedSets(
  keys: QueueKeys,
  state: FinishedState,
  listed: readonly string[],
): string[] {
  return [keys[state], ...listed.map((keep) => `${keys[state]}:${keep}`)];
}

/**
 * The ids at positions `start..end` (most recent first) across `sets`: one
 * read per set when there are several, merged by finish time.
 */
export async function readRecent(
  client: RedisClient,
  sets: readonly string[],
  start: number,
  end: number,
): Promise<string[]> {
  const [only] = sets;
  if (sets.length === 1 && only !== undefined) return client.zrevrange(only, start, end);
  const pipeline = client.pipeline();
  for (const set of sets) pipeline.zrevrange(set, 0, end, 'WITHSCORES');
  const merged: { id: string; at: number }[] = [];
  for (const [error, flat] of (await pipeline.exec()) ?? []) {
    if (error) throw error;
    const values = flat as string[];
    for (let i = 0; i + 1 < values.length; i += 2)
      merged.push({ id: values[i] as string, at: Number(values[i + 1]) });
  }
  // Most recent first; the same finish time orders by id, like ZREVRANGE.
  merged.sort((a, b) => b.at - a.at || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
  return merged.slice(start, end + 1).map((m) => m.id);
}
