import type { QueueKeys } from '../keys.js';
import queueLagScript from '../lua/queue-lag-3.lua';

/** How many jobs wait, and for how long the oldest of them (see queue-lag-3.lua). */
export const script = queueLagScript;

export interface QueueLag {
  /** Jobs in `waiting` (with or without a group). */
  readonly waiting: number;
  /**
   * Milliseconds since the longest-waiting job next in line became ready to
   * run (added, or due after its delay or backoff, or handed back); 0 when
   * nothing waits.
   */
  readonly oldestWaitingAgeMs: number;
}

export function encode(keys: QueueKeys): string[] {
  return [keys.wait, keys.meta, keys.groupRing, keys.base];
}

export function decode(reply: unknown): QueueLag {
  const [waiting, oldest, now] = (reply as [number, number, number]).map(Number) as [
    number,
    number,
    number,
  ];
  // A job can be ready "in the future" only by a clock step; never a negative age.
  const age = waiting > 0 && oldest >= 0 ? Math.max(0, now - oldest) : 0;
  return { waiting, oldestWaitingAgeMs: age };
}
