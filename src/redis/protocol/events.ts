/**
 * The queue's events stream (`<prefix>:{queue}:events`, a Redis STREAM): the
 * scripts append one entry per call that finished or removed jobs (see
 * lua/includes/events.lua), and waiters read it. This module is the only one
 * that knows an entry's layout.
 *
 * An entry has one field, `e`: a JSON array of records, one per job.
 * - `[id, s]`                       a job finished and was kept (`s`: `c` completed, `f` failed)
 * - `[id, s, batchId, index]`       the same, for a job of a batch
 * - `[id, s, batchId, index, out]`  a job removed as it finished: `out` is its result or error
 *                                   JSON, since its hash is gone (batchId and index may be '')
 * - `[id, 'x', batchId?, index?]`   a job removed by `removeJob()` before it finished
 * - `[batchId, 'b']`                a batch's last job finished
 *
 * Only scripts write the stream (it takes write rights on the queue's keys), so
 * what a record says is what Redis holds: unlike a pub/sub message, it cannot be
 * forged by a client that may only publish.
 */

/**
 * About how many entries the stream keeps (`XADD ... MAXLEN ~`, which trims
 * whole nodes of 100 entries). An entry is one script call: ~41 bytes with one
 * job, ~27 more per other job, plus the outcome of each job removed as it
 * finished. So ~40 KB at a few jobs a second and under 1 MB at full speed,
 * plus the outcomes of the last ~1000 calls' removed jobs. A reader that falls
 * further behind than that (a process stalled for about a second at full
 * speed) finds kept jobs by reading them, and no longer the outcome of
 * removed ones.
 */
export const EVENTS_MAXLEN = 1000;

/** What one record of the stream says. */
export type QueueEvent =
  | {
      readonly kind: 'finished';
      readonly id: string;
      readonly state: 'completed' | 'failed';
      readonly batchId?: string;
      readonly batchIndex?: number;
      /**
       * The result (completed) or error (failed) JSON of a job removed as it
       * finished: the stream is the only place left that holds it.
       */
      readonly outcome?: string;
    }
  | {
      readonly kind: 'removed';
      readonly id: string;
      readonly batchId?: string;
      readonly batchIndex?: number;
    }
  | { readonly kind: 'batchFinished'; readonly batchId: string };

/** One entry of the stream: its id and the events it carries, in order. */
export interface StreamEntry {
  readonly id: string;
  readonly events: readonly QueueEvent[];
}

/** The topic a waiter follows: every event about one job, or about one batch. */
export type Topic = `job:${string}` | `batch:${string}`;

/** The topics an event concerns: its job's and, for a batch job, its batch's. */
export function topicsOf(event: QueueEvent): Topic[] {
  if (event.kind === 'batchFinished') return [`batch:${event.batchId}`];
  return event.batchId ? [`job:${event.id}`, `batch:${event.batchId}`] : [`job:${event.id}`];
}

const STATES = { c: 'completed', f: 'failed' } as const;

/** Decode one record; `undefined` for anything that is not one (never throws). */
export function decodeRecord(record: unknown): QueueEvent | undefined {
  if (!Array.isArray(record)) return undefined;
  const [id, code, batchId, index, outcome] = record as unknown[];
  if (typeof id !== 'string' || id === '' || typeof code !== 'string') return undefined;
  if (code === 'b') return { kind: 'batchFinished', batchId: id };
  const batch =
    typeof batchId === 'string' && batchId !== '' && typeof index === 'string' && index !== ''
      ? { batchId, batchIndex: Number(index) }
      : {};
  if (code === 'x') return { kind: 'removed', id, ...batch };
  if (code !== 'c' && code !== 'f') return undefined;
  return {
    kind: 'finished',
    id,
    state: STATES[code],
    ...batch,
    ...(typeof outcome === 'string' && outcome !== '' ? { outcome } : {}),
  };
}

/** Decode the value of an entry's `e` field. */
export function decodeRecords(value: string): QueueEvent[] {
  let records: unknown;
  try {
    records = JSON.parse(value);
  } catch {
    return [];
  }
  if (!Array.isArray(records)) return [];
  const events: QueueEvent[] = [];
  for (const record of records) {
    const event = decodeRecord(record);
    if (event) events.push(event);
  }
  return events;
}

/** Decode the entries of one stream as XREAD and XRANGE return them: `[id, [field, value...]]`. */
export function decodeEntries(raw: unknown): StreamEntry[] {
  if (!Array.isArray(raw)) return [];
  const entries: StreamEntry[] = [];
  for (const item of raw as unknown[]) {
    if (!Array.isArray(item) || typeof item[0] !== 'string') continue;
    const [id, fields] = item as [string, unknown];
    const events: QueueEvent[] = [];
    if (Array.isArray(fields)) {
      for (let i = 0; i + 1 < fields.length; i += 2) {
        if (fields[i] === 'e' && typeof fields[i + 1] === 'string')
          events.push(...decodeRecords(fields[i + 1] as string));
      }
    }
    entries.push({ id, events });
  }
  return entries;
}

/**
 * Decode an XREAD reply for one stream (`[[key, entries]]`, or null when the
 * block time passed with nothing new).
 */
export function decodeRead(reply: unknown): StreamEntry[] {
  if (!Array.isArray(reply) || reply.length === 0) return [];
  const stream = reply[0] as unknown;
  if (!Array.isArray(stream)) return [];
  return decodeEntries(stream[1]);
}

/** The position before any entry. */
export const STREAM_START = '0-0';

/** Compare two stream ids (`<ms>-<seq>`) as Redis orders them. */
export function compareIds(a: string, b: string): number {
  const [am = '0', as = '0'] = a.split('-');
  const [bm = '0', bs = '0'] = b.split('-');
  if (am.length !== bm.length) return am.length - bm.length;
  if (am !== bm) return am < bm ? -1 : 1;
  if (as.length !== bs.length) return as.length - bs.length;
  if (as !== bs) return as < bs ? -1 : 1;
  return 0;
}
