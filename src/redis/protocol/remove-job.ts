import type { QueueKeys } from '../keys.js';
import removeJobScript from '../lua/remove-job-5.lua';

/** Removes a job that is not running (see remove-job-5.lua). */
export const script = removeJobScript;

/** `removed`; `missing`: no such job; `active`: it is running, and was left alone. */
export type RemoveJobReply = 'removed' | 'missing' | 'active';

export function encode(keys: QueueKeys, id: string): string[] {
  return [
    keys.wait,
    keys.active,
    keys.delayed,
    keys.completed,
    keys.failed,
    keys.base,
    id,
    keys.events,
  ];
}

export function decode(reply: unknown): RemoveJobReply {
  const code = Number(reply);
  if (code === 1) return 'removed';
  if (code === 0) return 'missing';
  if (code === -1) return 'active';
  throw new TypeError(`Unexpected reply of the remove-job script: ${String(reply)}`);
}
