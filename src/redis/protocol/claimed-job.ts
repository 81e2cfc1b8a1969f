import { SerializationError } from '../../errors.js';
import type { ClaimedJob, Job } from '../../job.js';
import {
  DEFAULT_REMOVE_ON_COMPLETE,
  DEFAULT_REMOVE_ON_FAIL,
  encodeRetention,
} from '../../retention.js';
import { CLAIMED_FIELDS, CLAIMED_STRIDE, positions } from './job-fields.js';
import { parentBatchOf } from './then-job.js';

type Field = string | null;

// Offsets in one claimed job's values: id, token, then CLAIMED_FIELDS.
const P = positions(CLAIMED_FIELDS);
const ID = 0;
const TOKEN = 1;
const NAME = 2 + P.name;
const DATA = 2 + P.data;
const OPTIONS = 2 + P.options;
const ATTEMPTS = 2 + P.attemptsMade;
const CREATED_AT = 2 + P.createdAt;
const MAX_ATTEMPTS = 2 + P.maxAttempts;
const KEEP_COMPLETED = 2 + P.keepCompleted;
const KEEP_FAILED = 2 + P.keepFailed;
const BATCH_ID = 2 + P.batchId;
const BATCH_INDEX = 2 + P.batchIndex;
const TRACEPARENT = 2 + P.traceparent;

/**
 * Decode every claimed job of a move reply's flat list, and give their groups
 * to those that have one: `groups` is { position (1-based), group, ... }, or
 * absent when no claimed job has a group.
 */
export function decodeClaimedJobs(
  values: readonly Field[],
  groups?: readonly (string | number)[],
): ClaimedJob[] {
  const jobs: ClaimedJob[] = [];
  for (let i = 0; i < values.length; i += CLAIMED_STRIDE) jobs.push(decodeClaimed(values, i));
  if (groups) {
    for (let i = 0; i + 1 < groups.length; i += 2) {
      const at = Number(groups[i]) - 1;
      const claimed = jobs[at];
      if (claimed) jobs[at] = { ...claimed, job: { ...claimed.job, group: String(groups[i + 1]) } };
    }
  }
  return jobs;
}

/**
 * Decode the values of one claimed job at `offset`. Never throws: a job whose
 * stored payload or options are not JSON gets a `decodeError`, and then fails
 * at once (it can still be reported: its id and token decode).
 */
export function decodeClaimed(values: readonly Field[], offset: number): ClaimedJob {
  // Indexed directly, no closures: this runs for every job a pool claims.
  const id = values[offset + ID] ?? '';
  let decodeError: Error | undefined;
  let data: unknown = null;
  const dataText = values[offset + DATA];
  if (dataText) {
    try {
      data = JSON.parse(dataText) ?? null;
    } catch (error) {
      decodeError = notJson(id, 'data', error);
    }
  }
  let options: ClaimedJob['options'] = NO_OPTIONS;
  let parentBatchId: string | undefined;
  const optionsText = values[offset + OPTIONS];
  if (optionsText) {
    try {
      options = (JSON.parse(optionsText) as ClaimedJob['options'] | null) ?? NO_OPTIONS;
      parentBatchId = parentBatchOf(options);
    } catch (error) {
      decodeError = notJson(id, 'options', error);
    }
  }
  const name = values[offset + NAME] ?? '';
  const createdAt = Number(values[offset + CREATED_AT] ?? 0);
  const batchId = values[offset + BATCH_ID];
  // One object literal per shape (no spreads): this runs for every claimed job.
  let job: Job<unknown, string> = batchId
    ? { id, name, data, createdAt, batchId, batchIndex: Number(values[offset + BATCH_INDEX]) }
    : { id, name, data, createdAt };
  if (parentBatchId !== undefined) job = { ...job, parentBatchId };
  const maxAttempts = values[offset + MAX_ATTEMPTS];
  const traceparent = values[offset + TRACEPARENT];
  const claimed: ClaimedJob = {
    job,
    token: values[offset + TOKEN] ?? '',
    attemptsMade: Number(values[offset + ATTEMPTS] ?? 0),
    maxAttempts: maxAttempts ? Number(maxAttempts) : undefined,
    options,
    // Every job is stored with its retention; if one is missing, fall back to the bounded defaults.
    keepCompleted: values[offset + KEEP_COMPLETED] ?? DEFAULT_KEEP_COMPLETED,
    keepFailed: values[offset + KEEP_FAILED] ?? DEFAULT_KEEP_FAILED,
  };
  if (!traceparent && !decodeError) return claimed;
  return {
    ...claimed,
    ...(traceparent ? { traceparent } : {}),
    ...(decodeError ? { decodeError } : {}),
  };
}

/** The options of a job that set none: one shared, frozen object. */
const NO_OPTIONS: ClaimedJob['options'] = Object.freeze({});
const DEFAULT_KEEP_COMPLETED = encodeRetention(DEFAULT_REMOVE_ON_COMPLETE);
const DEFAULT_KEEP_FAILED = encodeRetention(DEFAULT_REMOVE_ON_FAIL);

function notJson(id: string, what: string, error: unknown): SerializationError {
  return new SerializationError(
    `The stored ${what} of job ${id} is not valid JSON: ${(error as Error).message}`,
    what,
  );
}
