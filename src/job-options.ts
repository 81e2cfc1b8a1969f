import { resolveBackoff, type Backoff, type ResolvedBackoff } from './backoff.js';
import { OptionRangeError, OptionTypeError } from './errors.js';
import type { JobToAdd } from './redis/protocol/add.js';
import { checkGroup } from './groups.js';
import { serialize, serializePlain } from './serialize.js';
import {
  DEFAULT_REMOVE_ON_COMPLETE,
  DEFAULT_REMOVE_ON_FAIL,
  encodeRetention,
  resolveRetention,
  type KeepJobs,
  type ResolvedRetention,
} from './retention.js';
import {
  checkInteger,
  checkKnownKeys,
  checkObject,
  checkString,
  describeValue,
  isPlainObject,
} from './validate.js';

/** Largest delay `setTimeout` accepts; larger values would fire at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** Largest cost (and `by: 'cost'` window max): summed in Redis, so kept well inside 2^53. */
export const MAX_COST = 1e15;

/** Options of one job, given to `add()`; `defaultJobOptions` of the queue fills what a job leaves out. */
export interface JobOptions {
  /**
   * Your own id, to make `add()` idempotent: adding a job whose id exists adds
   * nothing and returns the existing job with `duplicate: true`. Must not be a
   * plain integer (those are the ids the queue numbers jobs with).
   * @default a number from the queue's sequence
   */
  jobId?: string;
  /** Milliseconds to wait before the job becomes ready. @default 0 */
  delay?: number;
  /** Attempts in all, the first included. @default the pool's `attempts` (4) */
  attempts?: number;
  /** Wait between attempts. @default the pool's `backoff` */
  backoff?: Backoff;
  /** Milliseconds one attempt may run before its signal is aborted. @default the pool's `timeout` (90000) */
  timeout?: number;
  /** Retention of the job once completed. @default { count: 1000, age: 86400 } */
  removeOnComplete?: KeepJobs;
  /** Retention of the job once failed for good. @default { count: 10000, age: 604800 } */
  removeOnFail?: KeepJobs;
  /**
   * The job's group (a user, a tenant, a model): groups with work take turns,
   * jobs of one group run in the order they were added, and a pool's `group`
   * limits apply to each group. At most 256 bytes, no braces.
   * @default none: the jobs with no group take their turns as one group
   */
  group?: string;
  /**
   * The job's estimated cost units (tokens, say), charged to each `by: 'cost'`
   * window of the claiming pool's `limiter` when the job is claimed; the
   * handler settles it with `ctx.reportCost(n)`. A whole number, 0 and up. A
   * job costing more than a window's `max` fails at once (`CostOverLimitError`).
   * @default 1
   */
  cost?: number;
  /**
   * Share one run among every add with the same `key` (see docs/live-jobs.md):
   * while a job with this key is waiting, delayed or running, or completed less
   * than `ttl` ms ago, `add()` returns that job (`cached: true`) instead of
   * adding one. A failed or cancelled job is not reused. `key` is at most
   * 512 bytes; `ttl` is in milliseconds.
   * @default none: every add runs
   */
  cache?: JobCache;
}

/** A job's `cache` option: its key and how long (ms) its result is reused once completed. */
export interface JobCache {
  key: string;
  ttl: number;
}

/** Longest cache key, in bytes (UTF-8). */
export const MAX_CACHE_KEY_BYTES = 512;

/** Queue-wide job defaults: every `JobOptions` field but `jobId` and `cache`. */
export type DefaultJobOptions = Omit<JobOptions, 'jobId' | 'cache'>;

const JOB_OPTION_KEYS = [
  'jobId',
  'delay',
  'attempts',
  'backoff',
  'timeout',
  'removeOnComplete',
  'removeOnFail',
  'group',
  'cache',
  'cost',
] as const;

/** Validated job options, in the form they are stored. */
export interface ResolvedJobOptions {
  readonly jobId?: string;
  readonly delay: number;
  readonly attempts?: number;
  readonly backoff?: ResolvedBackoff;
  readonly timeout?: number;
  readonly removeOnComplete: ResolvedRetention;
  readonly removeOnFail: ResolvedRetention;
  readonly group?: string;
  readonly cache?: Readonly<JobCache>;
  readonly cost?: number;
}

export const NO_JOB_DEFAULTS: ResolvedJobOptions = Object.freeze({
  delay: 0,
  removeOnComplete: DEFAULT_REMOVE_ON_COMPLETE,
  removeOnFail: DEFAULT_REMOVE_ON_FAIL,
});

/**
 * Validate `options` (named `where` in messages) over `defaults`.
 * `allowJobId: false` for queue-wide defaults, where an id makes no sense.
 */
export function resolveJobOptions(
  where: string,
  options: unknown,
  defaults: ResolvedJobOptions = NO_JOB_DEFAULTS,
  { allowJobId = true } = {},
): ResolvedJobOptions {
  if (options === undefined) return defaults;
  const o = checkObject(where, options);
  checkKnownKeys(
    `\`${where}\``,
    o,
    allowJobId ? JOB_OPTION_KEYS : JOB_OPTION_KEYS.filter((k) => k !== 'jobId' && k !== 'cache'),
  );
  const resolved: { -readonly [K in keyof ResolvedJobOptions]: ResolvedJobOptions[K] } = {
    ...defaults,
  };
  if (o.jobId !== undefined) resolved.jobId = checkJobId(`${where}.jobId`, o.jobId);
  if (o.delay !== undefined)
    resolved.delay = checkInteger(`${where}.delay`, o.delay, { min: 0, max: MAX_TIMER_MS });
  if (o.attempts !== undefined)
    resolved.attempts = checkInteger(`${where}.attempts`, o.attempts, { min: 1, max: 1_000_000 });
  if (o.backoff !== undefined) resolved.backoff = resolveBackoff(`${where}.backoff`, o.backoff);
  if (o.timeout !== undefined)
    resolved.timeout = checkInteger(`${where}.timeout`, o.timeout, { min: 1, max: MAX_TIMER_MS });
  if (o.removeOnComplete !== undefined)
    resolved.removeOnComplete = resolveRetention(`${where}.removeOnComplete`, o.removeOnComplete);
  if (o.removeOnFail !== undefined)
    resolved.removeOnFail = resolveRetention(`${where}.removeOnFail`, o.removeOnFail);
  if (o.group !== undefined) resolved.group = checkGroup(`${where}.group`, o.group);
  if (o.cache !== undefined) resolved.cache = checkCache(`${where}.cache`, o.cache);
  if (o.cost !== undefined)
    resolved.cost = checkInteger(`${where}.cost`, o.cost, { min: 0, max: MAX_COST });
  return Object.freeze(resolved);
}

/** Validate a job's `cache` option, named `name` in messages. */
export function checkCache(name: string, value: unknown): Readonly<JobCache> {
  const cache = checkObject(name, value);
  checkKnownKeys(`\`${name}\``, cache, ['key', 'ttl']);
  const key = checkString(`${name}.key`, cache.key);
  const bytes = Buffer.byteLength(key, 'utf8');
  if (bytes > MAX_CACHE_KEY_BYTES) {
    throw new OptionRangeError(
      `Expected \`${name}.key\` to be at most ${MAX_CACHE_KEY_BYTES} bytes long, got ${bytes} bytes`,
      `${name}.key`,
    );
  }
  // Redis' PEXPIRE takes up to 2^53 - 1 comfortably; a ttl beyond that is a mistake.
  const ttl = checkInteger(`${name}.ttl`, cache.ttl, { min: 1, max: Number.MAX_SAFE_INTEGER });
  return Object.freeze({ key, ttl });
}

export function checkJobId(name: string, value: unknown): string {
  const id = checkString(name, value);
  if (/^\d+$/.test(id)) {
    throw new OptionRangeError(
      `Expected \`${name}\` to be a string that is not a plain integer (the queue numbers its own jobs), got ${describeValue(value)}`,
      name,
    );
  }
  if (id.length > 512) {
    throw new OptionRangeError(
      `Expected \`${name}\` to be at most 512 characters long, got ${id.length} characters`,
      name,
    );
  }
  return id;
}

/** What the pool needs to know of a job's own options, stored as the job's `o` field. */
export function encodeRunOptions(options: ResolvedJobOptions): string {
  if (options.backoff === undefined && options.timeout === undefined && !options.cache) return '';
  // `cache: <key>` tells the pool to mark the job's report (see attempt-report.ts): only a
  // job with a cache has its cache entry settled when it ends, and the report declares it.
  return JSON.stringify({
    backoff: options.backoff,
    timeout: options.timeout,
    ...(options.cache ? { cache: options.cache.key } : {}),
  });
}

/** The option-derived part of a job as the add script stores it. */
export function encodeForAdd(
  options: ResolvedJobOptions,
): Pick<JobToAdd, 'runOptions' | 'maxAttempts' | 'keepCompleted' | 'keepFailed' | 'delay'> {
  return {
    runOptions: encodeRunOptions(options),
    maxAttempts: options.attempts,
    keepCompleted: encodeRetention(options.removeOnComplete),
    keepFailed: encodeRetention(options.removeOnFail),
    delay: options.delay,
  };
}

/**
 * Validate and serialise jobs for the add script. Every job is checked before
 * anything is sent, so a bad one adds none. `single`: `add(name, data, opts)`,
 * whose arguments are named as such in messages; else `jobs[i]` of
 * `addBulk()` / `addBatch()`.
 */
export function encodeJobs(
  jobs: readonly unknown[],
  {
    defaults,
    maxPayloadSize,
    batch,
    single,
    group,
  }: {
    defaults: ResolvedJobOptions;
    maxPayloadSize: number;
    batch: boolean;
    single: boolean;
    /** The batch's group, for jobs that name none. */
    group?: string | undefined;
  },
): JobToAdd[] {
  // For each job, only what differs: the names in the messages are built for a job that
  // fails a check (the quick checks below pass the rest; a job that fails one takes the
  // full check, which throws with the name), and jobs sharing one options object (the
  // queue's defaults, when they set none) share its encoding.
  let lastOptions = defaults;
  let lastEncoded = encodeForAdd(defaults);
  const label = (index: number, field: string) => (single ? field : `jobs[${index}].${field}`);
  return jobs.map((item, index) => {
    const job = isPlainObject(item) ? item : checkObject(single ? 'job' : `jobs[${index}]`, item);
    const name =
      typeof job.name === 'string' && job.name.trim() !== ''
        ? job.name
        : checkString(label(index, 'name'), job.name);
    const options =
      job.opts === undefined
        ? defaults
        : resolveJobOptions(label(index, 'opts'), job.opts, defaults);
    if (batch && options.jobId !== undefined) {
      throw new OptionTypeError(
        `\`${label(index, 'opts.jobId')}\` cannot be set on a batch job: batch jobs are numbered`,
        'jobId',
      );
    }
    const data =
      serializePlain(job.data, maxPayloadSize) ??
      serialize(job.data, single ? 'Job data' : `Job data of jobs[${index}]`, {
        maxBytes: maxPayloadSize,
        path: label(index, 'data'),
      });
    if (options !== lastOptions) {
      lastOptions = options;
      lastEncoded = encodeForAdd(options);
    }
    return {
      id: options.jobId,
      name,
      data,
      runOptions: lastEncoded.runOptions,
      maxAttempts: lastEncoded.maxAttempts,
      keepCompleted: lastEncoded.keepCompleted,
      keepFailed: lastEncoded.keepFailed,
      delay: lastEncoded.delay,
      batchIndex: batch ? index : undefined,
      group: options.group ?? group,
      cache: options.cache,
      // The default (1) is stored as nothing: a job with no cost pays no field for it.
      cost: options.cost === undefined || options.cost === 1 ? undefined : options.cost,
    };
  });
}
