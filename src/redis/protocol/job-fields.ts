/**
 * The legend of a job's hash (`<base>job:<id>`): one letter or two per field,
 * because a small hash of short fields stays a compact listpack in Redis. The
 * scripts in ../lua write and read these names; the decoders here read them
 * through this legend only.
 *
 * The payload is not in the job's hash: it lives in the queue's `data` hash
 * (field = job id), so a big payload cannot turn every job hash into a
 * hashtable.
 */
export const JOB_FIELDS = {
  /** The job's name. */
  name: 'n',
  /**
   * Its own run options, JSON `{ backoff, timeout }`; absent when it set none.
   * A batch's then job has `pb` there too, the batch's id (see then-job.ts).
   */
  options: 'o',
  /** Attempts finished (or started, then lost) so far. */
  attemptsMade: 'a',
  /** When it was added (ms, Redis clock). */
  createdAt: 't',
  /** Its own `attempts` option; absent when the pool's default applies. */
  maxAttempts: 'ma',
  /** Retention once completed / failed, `count:age` (see retention.ts). */
  keepCompleted: 'kc',
  keepFailed: 'kf',
  /** The batch it belongs to, and its position there. */
  batchId: 'b',
  batchIndex: 'bi',
  /** Its result JSON (completed), or the error JSON of its last failed attempt. */
  result: 'r',
  error: 'e',
  /** When it finished, and when its last finished attempt started (ms). */
  finishedAt: 'f',
  processedAt: 'p',
  /** The lease token of the report that finished it: a resent report is recognised by it. */
  finishedBy: 'fk',
  /** The W3C traceparent of the trace it was added in (see tracing.ts); absent when there was none. */
  traceparent: 'tp',
  /** The latest value its handler reported with `ctx.progress()` (JSON); absent if none. */
  progress: 'pg',
  /** Its group (`add(..., { group })`); absent for a job with no group. */
  group: 'g',
  /** Its cost units (`add(..., { cost })`); absent for the default, 1. */
  cost: 'cu',
  /**
   * When its current attempt was charged to the claiming pool's cost windows
   * (ms, Redis clock): the sub-bucket a settle (`ctx.reportCost`) goes to.
   * Written only by a pool with a `by: 'cost'` window.
   */
  chargedAt: 'ct',
  /**
   * When it last became ready to run, if not when it was added (ms, Redis
   * clock): the due time of a delayed job or a retry, or when it was handed
   * back. Read only for the queue lag (see queue-lag-2.lua).
   */
  readyAt: 'w',
} as const;

export type JobField = keyof typeof JOB_FIELDS;

/**
 * The fields the move script returns per claimed job, after its id and lease
 * token, in order (`name` then the payload, then the rest): see
 * ../lua/includes/claimed-job.lua, which lists the same letters. A job's
 * group comes apart (see move.ts), so a job with no group pays no value for it.
 */
export const CLAIMED_FIELDS = [
  'name',
  'data',
  'options',
  'attemptsMade',
  'createdAt',
  'maxAttempts',
  'keepCompleted',
  'keepFailed',
  'batchId',
  'batchIndex',
  'traceparent',
] as const satisfies readonly (JobField | 'data')[];

/** Values per claimed job in the move script's reply: id, token, then CLAIMED_FIELDS. */
export const CLAIMED_STRIDE = 2 + CLAIMED_FIELDS.length;

/** The fields the get-job script returns, in order: see ../lua/get-job-7.lua. */
export const INFO_FIELDS = [
  'name',
  'attemptsMade',
  'createdAt',
  'maxAttempts',
  'batchId',
  'batchIndex',
  'result',
  'error',
  'processedAt',
  'finishedAt',
  'keepCompleted',
  'keepFailed',
  'progress',
  'group',
  'options',
] as const satisfies readonly JobField[];

/** Position of each field in a list of `fields` (for decoders: read by name, not by number). */
export function positions<const F extends readonly string[]>(
  fields: F,
): { readonly [K in F[number]]: number } {
  return Object.fromEntries(fields.map((field, i) => [field, i])) as {
    readonly [K in F[number]]: number;
  };
}
