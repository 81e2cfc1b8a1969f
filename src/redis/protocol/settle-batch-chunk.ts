import type { QueueKeys } from '../keys.js';
import settleScript from '../lua/settle-batch-chunk-4.lua';
import { EVENTS_MAXLEN } from './events.js';

/**
 * Settles a chunk of a batch whose add call got no reply (see
 * settle-batch-chunk-4.lua): its jobs were added, or its items are now
 * failed in the batch, so the batch still finishes.
 */
export const script = settleScript;

export interface SettleRequest {
  batchId: string;
  /** The call token of the chunk's add call (see add.ts). */
  callToken: string;
  /** The call token of the batch's first add call, which created it. */
  firstCallToken: string;
  /** The stored error of each item that was not added (JSON). */
  error: string;
  indexes: readonly number[];
}

/** `added`: the call had run; `failed`: its items were recorded as failed. */
export type SettleReply = 'added' | 'failed';

export function encode(keys: QueueKeys, request: SettleRequest): (string | number)[] {
  return [
    keys.batch(request.batchId),
    keys.call(request.callToken),
    keys.call(request.firstCallToken),
    keys.events,
    EVENTS_MAXLEN,
    request.batchId,
    request.error,
    ...request.indexes,
  ];
}

export function decode(reply: unknown): SettleReply {
  return Number(reply) === 1 ? 'added' : 'failed';
}
