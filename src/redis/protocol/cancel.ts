import type { QueueKeys } from '../keys.js';
import cancelScript from '../lua/cancel-14.lua';
import { EVENTS_MAXLEN } from './events.js';

/**
 * Cancelling a job (see cancel-14.lua), and the message it sends the pool that
 * runs it: `<id>\n<lease token>\n<reason>` on the queue's cancel channel.
 */
export const script = cancelScript;

export interface CancelRequest {
  readonly id: string;
  /** The error JSON stored as the job's error. */
  readonly error: string;
  readonly reason: string;
}

/** The state the job was in when cancelled, or why nothing was cancelled. */
export type CancelReply = 'waiting' | 'delayed' | 'active' | 'missing' | 'completed' | 'failed';

export function encode(keys: QueueKeys, request: CancelRequest): (string | number)[] {
  return [
    keys.wait,
    keys.active,
    keys.leases,
    keys.delayed,
    keys.completed,
    keys.failed,
    keys.job(request.id),
    keys.events,
    keys.data,
    keys.meta,
    keys.metrics,
    keys.groupRing,
    keys.groupsParked,
    keys.groupsAside,
    keys.base,
    request.id,
    request.error,
    EVENTS_MAXLEN,
    keys.cancel,
    request.reason,
  ];
}

export function decode(reply: unknown): CancelReply {
  return String(reply) as CancelReply;
}

/** A cancel message, as the holding pool receives it. */
export interface CancelMessage {
  readonly id: string;
  readonly token: string;
  readonly reason: string | undefined;
}

export function decodeMessage(message: string): CancelMessage | undefined {
  const [id, token, ...rest] = message.split('\n');
  if (!id || !token) return undefined;
  const reason = rest.join('\n');
  return { id, token, reason: reason === '' ? undefined : reason };
}
