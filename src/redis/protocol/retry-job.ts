import type { QueueKeys } from '../keys.js';
import { policySetsKey } from './retention-sets.js';
import retryJobScript from '../lua/retry-job-10.lua';

/** Sends a failed job back to `wait`, its attempts reset (see retry-job-10.lua). */
export const script = retryJobScript;

/**
 * `retried`; `missing`: no such job; `completed`; `notFailed`: the job is
 * waiting, delayed or running.
 */
export type RetryJobReply = 'retried' | 'missing' | 'completed' | 'notFailed';

const REPLIES: readonly RetryJobReply[] = ['retried', 'missing', 'completed', 'notFailed'];

export function encode(keys: QueueKeys, id: string): string[] {
  return [
    keys.wait,
    keys.failed,
    keys.marker,
    keys.completed,
    keys.job(id),
    keys.meta,
    policySetsKey(keys, 'failed'),
    keys.groupRing,
    keys.groupsParked,
    keys.groupsAside,
    keys.base,
    id,
  ];
}

export function decode(reply: unknown): RetryJobReply {
  if (!REPLIES.includes(reply as RetryJobReply)) {
    throw new TypeError(`Unexpected reply of the retry-job script: ${String(reply)}`);
  }
  return reply as RetryJobReply;
}
