import type { QueueKeys } from '../keys.js';
import { policySetsKey } from './retention-sets.js';
import removeJobScript from '../lua/remove-job-14.lua';
import { EVENTS_MAXLEN } from './events.js';

/** Removes a job that is not running (see remove-job-14.lua). */
export const script = removeJobScript;

/** `removed`; `missing`: no such job; `active`: it is running, and was left alone. */
export type RemoveJobReply = 'removed' | 'missing' | 'active';

export function encode(keys: QueueKeys, id: string): (string | number)[] {
  return [
    keys.wait,
    keys.active,
    keys.delayed,
    keys.completed,
    keys.failed,
    keys.events,
    keys.job(id),
    keys.data,
    keys.meta,
    policySetsKey(keys, 'completed'),
    policySetsKey(keys, 'failed'),
    keys.groupRing,
    keys.groupsParked,
    keys.groupsAside,
    keys.base,
    id,
    EVENTS_MAXLEN,
  ];
}

export function decode(reply: unknown): RemoveJobReply {
  const code = Number(reply);
  if (code === 1) return 'removed';
  if (code === 0) return 'missing';
  if (code === -1) return 'active';
  throw new TypeError(`Unexpected reply of the remove-job script: ${String(reply)}`);
}
