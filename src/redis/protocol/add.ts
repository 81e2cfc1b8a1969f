import type { QueueKeys } from '../keys.js';
import addScript from '../lua/add-6+.lua';
import { EVENTS_MAXLEN } from './events.js';

/** Stores jobs and puts them in `wait` or `delayed` (see add-6+.lua). */
export const script = addScript;

/** One job as the add script stores it: validated and serialised (see job-options.ts). */
export interface JobToAdd {
  /** The caller's `jobId`; undefined to take the next number of the queue's sequence. */
  readonly id: string | undefined;
  readonly name: string;
  /** Payload JSON. */
  readonly data: string;
  /** Run options JSON (`{ backoff, timeout }`), or '' for none. */
  readonly runOptions: string;
  /** The job's own `attempts`; undefined for the pool's default. */
  readonly maxAttempts: number | undefined;
  /** Retentions, `count:age` (see retention.ts). */
  readonly keepCompleted: string;
  readonly keepFailed: string;
  /** Milliseconds before it becomes ready. */
  readonly delay: number;
  /** Its position in its batch, if it is in one. */
  readonly batchIndex: number | undefined;
  /** Its group, if it has one. */
  readonly group?: string | undefined;
  /** Its cache key and ttl (ms), if it has one (see includes/cache.lua). */
  readonly cache?: { readonly key: string; readonly ttl: number } | undefined;
  /** Its cost units; undefined for the default (1). */
  readonly cost?: number | undefined;
}

/** A batch being added: its id, size, ttl (s) and meta JSON ('' for none). */
export interface BatchSpec {
  id: string;
  total: number;
  ttl: number;
  meta: string;
  /** Its `then` job's spec (see then-job.ts), or undefined for none. */
  then?: string | undefined;
}

export interface AddRequest {
  /** `first`: this call creates the batch, and must find its id unused. */
  batch: (BatchSpec & { first: boolean }) | undefined;
  jobs: readonly JobToAdd[];
  /** Unique to this call: a resent call answers as the first run did. */
  callToken: string;
  /** The caller's W3C traceparent (see tracing.ts), stored on every job; undefined sends nothing. */
  traceparent?: string | undefined;
}

export interface AddedRecord {
  readonly id: string;
  /** A job with this id existed: nothing was added. */
  readonly duplicate: boolean;
  /** The cache gave an existing job (`id` is its id): nothing was added. */
  readonly cached: boolean;
}

type JobValue = (job: JobToAdd) => string | number;

/** A job's nine values, in the order add-6+.lua reads them. */
const JOB_VALUES: readonly JobValue[] = [
  (job) => job.id ?? '',
  (job) => job.name,
  (job) => job.data,
  (job) => job.runOptions,
  (job) => (job.maxAttempts === undefined ? '' : String(job.maxAttempts)),
  (job) => job.keepCompleted,
  (job) => job.keepFailed,
  (job) => job.delay,
  (job) => job.batchIndex ?? '',
];

export function encode(
  keys: QueueKeys,
  { batch, jobs, callToken, traceparent }: AddRequest,
): (string | number)[] {
  const declared = declaredKeys(keys, batch, jobs, callToken);
  const args: (string | number)[] = [
    // The script takes a variable number of KEYS: their count comes first.
    declared.length,
    ...declared,
    keys.base,
    jobs.length,
    batch?.id ?? '',
    batch?.total ?? 0,
    batch?.ttl ?? -1,
    // The first call carries the then job's spec in the place of its '1' (see add-6+.lua).
    batch?.first ? (batch.then ?? '1') : '0',
    callToken,
    batch?.meta ?? '',
  ];
  // Each of a job's nine values is sent once for the call when every job has the same
  // (an addBulk's jobs mostly differ in their data alone), else once per job: the mask
  // says which (see add-6+.lua).
  const varying: JobValue[] = [];
  let mask = '';
  const first = jobs[0];
  const shared: (string | number)[] = [];
  for (const value of JOB_VALUES) {
    const same = first !== undefined && jobs.every((job) => value(job) === value(first));
    mask += same ? '0' : '1';
    if (same) shared.push(value(first));
    else varying.push(value);
  }
  args.push(mask, ...shared);
  for (const job of jobs) for (const value of varying) args.push(value(job));
  // Last, and only when there is one (or a job has a group, a cost or a cache): an untraced add pays no argument for it.
  const grouped = jobs.some((job) => job.group !== undefined);
  const costed = jobs.some((job) => job.cost !== undefined);
  const cached = jobs.some((job) => job.cache !== undefined);
  if (traceparent !== undefined || grouped || costed || cached) args.push(traceparent ?? '');
  // Then, only when a job of the call has a group (or a cost, or a cache), each job's: a call with none sends nothing for them.
  if (grouped || costed || cached) for (const job of jobs) args.push(job.group ?? '');
  // Then, only when a job of the call has a cost (or a cache), each job's ('' for the default).
  if (costed || cached) for (const job of jobs) args.push(job.cost ?? '');
  // Then, only when a job of the call has a cache, the events' length and each job's `ttl|key`.
  if (cached) {
    args.push(EVENTS_MAXLEN);
    for (const job of jobs) args.push(job.cache ? `${job.cache.ttl}|${job.cache.key}` : '');
  }
  return args;
}

/**
 * Every key the call may touch that is known before it runs (see add-6+.lua): the
 * fixed ones, then the batch, the hash of each job with a `jobId`, and for a call
 * with a cache or a group the keys those lead to. A plain add of numbered jobs
 * declares six keys, whatever its size.
 */
function declaredKeys(
  keys: QueueKeys,
  batch: AddRequest['batch'],
  jobs: readonly JobToAdd[],
  callToken: string,
): string[] {
  const declared = [
    keys.wait,
    keys.delayed,
    keys.marker,
    keys.meta,
    keys.data,
    keys.call(callToken),
  ];
  if (batch) declared.push(keys.batch(batch.id));
  let grouped = false;
  let cached = false;
  const groups = new Set<string>();
  for (const job of jobs) {
    if (job.id !== undefined) declared.push(keys.job(job.id));
    if (job.cache) {
      cached = true;
      declared.push(keys.cache(job.cache.key));
    }
    if (job.group !== undefined) {
      grouped = true;
      groups.add(job.group);
    }
  }
  if (cached) {
    declared.push(keys.events, keys.metrics, keys.completed, keys.failed, `${keys.completed}:sets`);
  }
  if (grouped) {
    declared.push(keys.groupRing, keys.groupsParked, keys.groupsAside);
    for (const g of groups) declared.push(keys.group(g), keys.groupWait(g));
  }
  return declared;
}

/**
 * id, created flag (1; 0 for a duplicate; 2 for a job the cache gave), per job; or,
 * when every one of the call's `count` jobs was created with the next number, the
 * first id alone.
 */
export function decode(reply: unknown, count: number): AddedRecord[] {
  // The first id: an integer reply, which a client with ioredis' `stringNumbers` reads as a string.
  if (typeof reply === 'number' || typeof reply === 'string') {
    const first = Number(reply);
    const added: AddedRecord[] = [];
    for (let i = 0; i < count; i++) {
      added.push({ id: String(first + i), duplicate: false, cached: false });
    }
    return added;
  }
  const values = Array.isArray(reply) ? (reply as (string | number)[]) : [];
  const added: AddedRecord[] = [];
  for (let i = 0; i + 1 < values.length; i += 2) {
    const created = Number(values[i + 1]);
    added.push({ id: String(values[i]), duplicate: created === 0, cached: created === 2 });
  }
  // Never hand back made-up ids: a reply of another shape is a bug to report, not to guess around.
  if (added.length !== count) {
    throw new Error(
      `The add script answered for ${added.length} jobs, not the ${count} it was sent`,
    );
  }
  return added;
}
