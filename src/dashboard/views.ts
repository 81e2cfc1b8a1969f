import type { BatchItem, JobInfo, JobState, Queue } from '../index.js';

/** What the page shows of a job in a list: enough to find it, never its whole payload. */
export interface JobSummary {
  readonly id: string;
  readonly name: string;
  readonly state: JobState;
  readonly attempts: number;
  readonly maxAttempts?: number;
  readonly createdAt: number;
  readonly processedAt?: number;
  readonly finishedAt?: number;
  readonly dueAt?: number;
  /** The start of the payload as JSON. */
  readonly preview: string;
  /** `Name: message` of the last error, shortened. */
  readonly error?: string;
  readonly batchId?: string;
}

export type Order = 'newest' | 'oldest';

export interface JobPage {
  readonly state: JobState;
  readonly order: Order;
  /** Position of the first job shown, from 0. */
  readonly start: number;
  readonly size: number;
  /** Jobs in this state now. */
  readonly total: number;
  readonly jobs: readonly JobSummary[];
}

export const STATES: readonly JobState[] = ['waiting', 'delayed', 'active', 'completed', 'failed'];

const PREVIEW_LENGTH = 160;

export function shorten(text: string, length = PREVIEW_LENGTH): string {
  return text.length > length ? `${text.slice(0, length - 1)}…` : text;
}

function preview(value: unknown): string {
  try {
    return shorten(JSON.stringify(value) ?? String(value));
  } catch {
    return '(not JSON)';
  }
}

export function summarise(job: JobInfo): JobSummary {
  return {
    id: job.id,
    name: job.name,
    state: job.state,
    attempts: job.attempts,
    ...(job.maxAttempts === undefined ? {} : { maxAttempts: job.maxAttempts }),
    createdAt: job.createdAt,
    ...(job.processedAt === undefined ? {} : { processedAt: job.processedAt }),
    ...(job.finishedAt === undefined ? {} : { finishedAt: job.finishedAt }),
    ...(job.dueAt === undefined ? {} : { dueAt: job.dueAt }),
    preview: preview(job.data),
    ...(job.error ? { error: shorten(`${job.error.name}: ${job.error.message}`, 200) } : {}),
    ...(job.batchId === undefined ? {} : { batchId: job.batchId }),
  };
}

/**
 * One page of the jobs in a state. `getJobs()` reads `completed` and
 * `failed` newest first and the others in the order they run (oldest
 * first); the other order is the same range counted from the end, read with
 * the state's count and reversed. Each page costs two round trips, however
 * many jobs the queue holds.
 */
export async function readJobPage(
  queue: Queue,
  state: JobState,
  { start, size, order }: { start: number; size: number; order: Order },
): Promise<JobPage> {
  const total = (await queue.getCounts())[state];
  const natural: Order = state === 'completed' || state === 'failed' ? 'newest' : 'oldest';
  let jobs: JobInfo[] = [];
  if (start < total) {
    if (order === natural) {
      jobs = await queue.getJobs(state, { start, limit: size });
    } else {
      const end = Math.min(total, start + size);
      jobs = (await queue.getJobs(state, { start: total - end, limit: end - start })).reverse();
    }
  }
  return { state, order, start, size, total, jobs: jobs.map(summarise) };
}

export interface BatchPage {
  readonly progress: NonNullable<Awaited<ReturnType<Queue['getBatch']>>>;
  readonly start: number;
  readonly size: number;
  readonly items: readonly {
    readonly index: number;
    readonly state: BatchItem['state'];
    readonly result?: string;
    readonly error?: string;
  }[];
}

/** A batch's progress and one page of its items (their results and errors shortened). */
export async function readBatchPage(
  queue: Queue,
  id: string,
  { start, size }: { start: number; size: number },
): Promise<BatchPage | null> {
  const progress = await queue.getBatch(id);
  if (!progress) return null;
  const items = (await queue.getBatchResults(id)).slice(start, start + size).map((item) => ({
    index: item.index,
    state: item.state,
    ...(item.state === 'completed' ? { result: preview(item.result) } : {}),
    ...(item.state === 'failed'
      ? { error: shorten(`${item.error.name}: ${item.error.message}`, 200) }
      : {}),
  }));
  return { progress, start, size, items };
}
