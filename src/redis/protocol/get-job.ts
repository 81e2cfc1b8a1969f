import type { StoredError } from '../../errors.js';
import type { JobInfo, JobState } from '../../job.js';
import { deserialize } from '../../serialize.js';
import type { QueueKeys } from '../keys.js';
import getJobScript from '../lua/get-job-7.lua';
import { INFO_FIELDS, positions } from './job-fields.js';
import { PARENT_BATCH_KEY, parentBatchOf } from './then-job.js';

/** Reads one job and where it is (see get-job-7.lua). */
export const script = getJobScript;

export function encode(keys: QueueKeys, id: string): string[] {
  return [
    keys.active,
    keys.delayed,
    keys.completed,
    keys.failed,
    keys.leases,
    keys.job(id),
    keys.data,
    keys.base,
    id,
  ];
}

type Field = string | null;
const P = positions(INFO_FIELDS);

/** The job's record, or null when there is no such job. */
export function decode(id: string, reply: unknown): JobInfo | null {
  if (!reply) return null;
  const [state, score, data, fields] = reply as [JobState, Field, Field, Field[]];
  const field = (name: keyof typeof P): Field => fields[P[name]] ?? null;
  const s = state;
  const result = field('result');
  const error = field('error');
  const maxAttempts = field('maxAttempts');
  const processedAt = field('processedAt');
  const finishedAt = field('finishedAt');
  const batchId = field('batchId');
  const progress = field('progress');
  const group = field('group');
  const options = field('options');
  // Parsed only for a then job: another job's options are none of getJob()'s business.
  const parentBatchId = options?.includes(`"${PARENT_BATCH_KEY}"`)
    ? parentBatchOf(deserialize<object>(options) ?? {})
    : undefined;
  const info: JobInfo = {
    id,
    name: field('name') ?? '',
    state: s,
    data: deserialize(data),
    attempts: Number(field('attemptsMade') ?? 0) + (s === 'active' ? 1 : 0),
    createdAt: Number(field('createdAt')),
    ...(maxAttempts ? { maxAttempts: Number(maxAttempts) } : {}),
    ...(s === 'completed' && result !== null ? { result: deserialize(result) } : {}),
    ...(error ? { error: deserialize<StoredError>(error) } : {}),
    ...(processedAt ? { processedAt: Number(processedAt) } : {}),
    ...(finishedAt && (s === 'completed' || s === 'failed')
      ? { finishedAt: Number(finishedAt) }
      : {}),
    ...(s === 'delayed' && score ? { dueAt: Number(score) } : {}),
    ...(s === 'active' && score ? { leaseExpiresAt: Number(score) } : {}),
    ...(batchId ? { batchId, batchIndex: Number(field('batchIndex')) } : {}),
    ...(progress !== null ? { progress: deserialize(progress) } : {}),
    ...(group ? { group } : {}),
    ...(parentBatchId === undefined ? {} : { parentBatchId }),
  };
  return Object.freeze(info);
}
