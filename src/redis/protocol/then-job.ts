import type { JobToAdd } from './add.js';

/**
 * A batch's `then` job as it waits in the batch hash (field `th`, see
 * ../lua/includes/then-job.lua, which adds it when the batch finishes and
 * leaves its id in `tj`): one JSON object, with short keys as the job's own
 * hash has them. Its run options (`o`) also carry `pb`, the batch's id, which
 * the pool that claims it hands the handler as `job.parentBatchId`: a then job
 * costs the claim of every other job nothing.
 */
export type ThenJob = Omit<JobToAdd, 'batchIndex'>;

/** The key of a then job's batch id in its run options JSON (`o`). */
export const PARENT_BATCH_KEY = 'pb';

export function encodeThenJob(batchId: string, job: ThenJob): string {
  const runOptions = job.runOptions === '' ? {} : (JSON.parse(job.runOptions) as object);
  return JSON.stringify({
    n: job.name,
    d: job.data,
    o: JSON.stringify({ ...runOptions, [PARENT_BATCH_KEY]: batchId }),
    kc: job.keepCompleted,
    kf: job.keepFailed,
    dl: job.delay,
    ...(job.maxAttempts === undefined ? {} : { ma: job.maxAttempts }),
    ...(job.id === undefined ? {} : { id: job.id }),
    ...(job.group === undefined ? {} : { g: job.group }),
  });
}

/** The batch id in a job's run options, if it is a then job. */
export function parentBatchOf(options: object): string | undefined {
  const value = (options as Record<string, unknown>)[PARENT_BATCH_KEY];
  return typeof value === 'string' ? value : undefined;
}
