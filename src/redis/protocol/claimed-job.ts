import { SerializationError } from '../../errors.js';
import type { ClaimedJob, Job } from '../../job.js';
import {
  DEFAULT_REMOVE_ON_COMPLETE,
  DEFAULT_REMOVE_ON_FAIL,
  encodeRetention,
} from '../../retention.js';
import { CLAIMED_FIELDS, CLAIMED_STRIDE, positions } from './job-fields.js';

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
const GROUP = 2 + P.group;

/** Decode every claimed job of a move reply's flat list. */
export function decodeClaimedJobs(values: readonly Field[]): ClaimedJob[] {
  const jobs: ClaimedJob[] = [];
  for (let i = 0; i < values.length; i += CLAIMED_STRIDE) jobs.push(decodeClaimed(values, i));
  return jobs;
}

/**
 * Decode the values of one claimed job at `offset`. Never throws: a job whose
 * stored payload or options are not JSON gets a `decodeError`, and then fails
 * at once (it can still be reported: its id and token decode).
 */
export function decodeClaimed(values: readonly Field[], offset: number): ClaimedJob {
  const at = (position: number): Field | undefined => values[offset + position];
  const id = at(ID);
  let decodeError: Error | undefined;
  const parse = (text: Field | undefined, what: string): unknown => {
    if (!text) return undefined;
    try {
      return JSON.parse(text);
    } catch (error) {
      decodeError = new SerializationError(
        `The stored ${what} of job ${id} is not valid JSON: ${(error as Error).message}`,
        what,
      );
      return undefined;
    }
  };
  const batchId = at(BATCH_ID);
  const maxAttempts = at(MAX_ATTEMPTS);
  const traceparent = at(TRACEPARENT);
  const group = at(GROUP);
  const job: Job<unknown, string> = {
    id: id ?? '',
    name: at(NAME) ?? '',
    data: parse(at(DATA), 'data') ?? null,
    createdAt: Number(at(CREATED_AT) ?? 0),
    ...(batchId ? { batchId, batchIndex: Number(at(BATCH_INDEX)) } : {}),
    ...(group ? { group } : {}),
  };
  return {
    job,
    token: at(TOKEN) ?? '',
    attemptsMade: Number(at(ATTEMPTS) ?? 0),
    maxAttempts: maxAttempts ? Number(maxAttempts) : undefined,
    options: (parse(at(OPTIONS), 'options') as ClaimedJob['options'] | undefined) ?? {},
    // Every job is stored with its retention; if one is missing, fall back to the bounded defaults.
    keepCompleted: at(KEEP_COMPLETED) ?? encodeRetention(DEFAULT_REMOVE_ON_COMPLETE),
    keepFailed: at(KEEP_FAILED) ?? encodeRetention(DEFAULT_REMOVE_ON_FAIL),
    ...(traceparent ? { traceparent } : {}),
    ...(decodeError ? { decodeError } : {}),
  };
}
