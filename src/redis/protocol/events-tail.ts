import type { QueueKeys } from '../keys.js';
import tailScript from '../lua/events-tail-1.lua';
import { decodeRecord, STREAM_START, type QueueEvent } from './events.js';

/** The tail of the events stream (see events-tail-1.lua). */
export const script = tailScript;

/**
 * How many of the last entries a wait whose job is gone looks through for its
 * outcome: a job removed as it finished just before the wait began (an `add`
 * then a `waitForResult` of a fast job) is still found. Bounded, so that a
 * wait for an id that never existed costs little.
 */
export const LOOK_BACK = 100;

export interface TailReply {
  /** The id of the stream's last entry (`0-0` when it is empty). */
  readonly tip: string;
  /** The newest record of the job looked for, among the last `LOOK_BACK` entries. */
  readonly event?: QueueEvent;
}

/** `id` '' asks only for the tip. */
export function encode(keys: QueueKeys, id: string): (string | number)[] {
  return [keys.events, id, LOOK_BACK];
}

export function decode(reply: unknown): TailReply {
  const [tip, record] = (Array.isArray(reply) ? reply : []) as [unknown, unknown];
  let event: QueueEvent | undefined;
  if (typeof record === 'string') {
    try {
      event = decodeRecord(JSON.parse(record));
    } catch {
      event = undefined;
    }
  }
  return { tip: typeof tip === 'string' ? tip : STREAM_START, ...(event ? { event } : {}) };
}
