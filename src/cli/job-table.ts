import type { JobInfo, JobState } from 'redis-worker-pool';
import { formatDuration, oneLine, relative, table as fullTable } from './format.js';

/** The columns that matter for jobs in one state. */
export function jobTable(
  state: JobState,
  jobs: readonly JobInfo[],
  now: number,
  width?: number,
): string[] {
  const lines = columns(state, jobs, now, width);
  // BATCH is the last column where it appears: leave it out when no job is in a batch.
  if (jobs.some((job) => job.batchId) || !lines[0]?.endsWith('BATCH')) return lines;
  return columns(state, jobs, now, width, false);
}

function columns(
  state: JobState,
  jobs: readonly JobInfo[],
  now: number,
  width: number | undefined,
  withBatch = true,
): string[] {
  const table = (headers: string[], rows: string[][], options: { width?: number }) =>
    withBatch || headers.at(-1) !== 'BATCH'
      ? fullTable(headers, rows, options)
      : fullTable(
          headers.slice(0, -1),
          rows.map((row) => row.slice(0, -1)),
          options,
        );
  const attempts = (job: JobInfo) =>
    job.maxAttempts === undefined ? String(job.attempts) : `${job.attempts}/${job.maxAttempts}`;
  const batch = (job: JobInfo) => (job.batchId ? `${job.batchId}#${job.batchIndex}` : '');
  const error = (job: JobInfo) =>
    job.error ? oneLine(`${job.error.name}: ${job.error.message}`) : '';
  switch (state) {
    case 'waiting':
      return table(
        ['ID', 'NAME', 'ATTEMPTS', 'ADDED', 'BATCH'],
        jobs.map((job) => [
          job.id,
          job.name,
          attempts(job),
          relative(job.createdAt, now),
          batch(job),
        ]),
        { width },
      );
    case 'delayed':
      return table(
        ['ID', 'NAME', 'ATTEMPTS', 'DUE', 'LAST ERROR'],
        jobs.map((job) => [
          job.id,
          job.name,
          attempts(job),
          job.dueAt === undefined ? '' : relative(job.dueAt, now),
          error(job),
        ]),
        { width },
      );
    case 'active':
      return table(
        ['ID', 'NAME', 'ATTEMPT', 'RUNNING FOR', 'LEASE ENDS', 'BATCH'],
        jobs.map((job) => [
          job.id,
          job.name,
          attempts(job),
          formatDuration(now - (job.processedAt ?? job.createdAt)),
          job.leaseExpiresAt === undefined ? '' : relative(job.leaseExpiresAt, now),
          batch(job),
        ]),
        { width },
      );
    case 'completed':
      return table(
        ['ID', 'NAME', 'ATTEMPTS', 'FINISHED', 'RAN FOR', 'BATCH'],
        jobs.map((job) => [
          job.id,
          job.name,
          attempts(job),
          job.finishedAt === undefined ? '' : relative(job.finishedAt, now),
          job.finishedAt !== undefined && job.processedAt !== undefined
            ? formatDuration(job.finishedAt - job.processedAt)
            : '',
          batch(job),
        ]),
        { width },
      );
    case 'failed':
      return table(
        ['ID', 'NAME', 'ATTEMPTS', 'FAILED', 'ERROR'],
        jobs.map((job) => [
          job.id,
          job.name,
          attempts(job),
          job.finishedAt === undefined ? '' : relative(job.finishedAt, now),
          error(job),
        ]),
        { width },
      );
  }
}
