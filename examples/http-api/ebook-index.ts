/**
 * What the ebook page reads beyond the batch itself: the recent ebooks (a
 * sorted set, newest first) and, per ebook, the id of the job writing each
 * page, so a page's state, attempts, last error and text so far come from
 * `queue.getJob()`. Both expire with the ebook; the list is trimmed.
 */
import type { JobInfo, Queue } from 'redis-worker-pool';
import {
  EBOOK_TTL_SECONDS,
  type AddedEbook,
  type EbookJobs,
  type EbookMeta,
  type PageResult,
} from '../ebook/ebook.js';

/** The most ebooks the recent list keeps. */
const RECENT_LIMIT = 500;

/** Where a page is, as the page shows it. */
export type PageState = 'waiting' | 'writing' | 'retrying' | 'done' | 'failed';

export interface PageView {
  index: number;
  title: string;
  state: PageState;
  /** The attempt running or last run, from 1; 0 before the first. */
  attempt: number;
  maxAttempts?: number;
  /** The last attempt's error (a retrying page), or why it failed. */
  error?: string;
  /** The page's text: so far while it is written (when the pool reports progress), all of it once done. */
  text?: string;
}

export interface EbookSummary {
  id: string;
  title: string;
  topic: string;
  total: number;
  completed: number;
  failed: number;
  done: boolean;
  createdAt: number;
}

export class EbookIndex {
  readonly #queue: Queue<EbookJobs>;
  readonly #key: string;

  /** `key` names the sorted set; each ebook's job ids go under `<key>:<id>`. */
  constructor(queue: Queue<EbookJobs>, key: string) {
    this.#queue = queue;
    this.#key = key;
  }

  async record(ebook: AddedEbook): Promise<void> {
    await this.#queue.client
      .multi()
      .set(`${this.#key}:${ebook.id}`, JSON.stringify(ebook.jobIds), 'EX', EBOOK_TTL_SECONDS)
      .zadd(this.#key, ebook.createdAt, ebook.id)
      .zremrangebyrank(this.#key, 0, -RECENT_LIMIT - 1)
      .expire(this.#key, EBOOK_TTL_SECONDS)
      .exec();
  }

  async jobIds(id: string): Promise<string[]> {
    const raw = await this.#queue.client.get(`${this.#key}:${id}`);
    return raw ? (JSON.parse(raw) as string[]) : [];
  }

  /** One page of the recent ebooks, newest first; ebooks that expired leave the list. */
  async recent(start: number, size: number): Promise<{ total: number; ebooks: EbookSummary[] }> {
    const client = this.#queue.client;
    const [total, ids] = await Promise.all([
      client.zcard(this.#key),
      client.zrevrange(this.#key, start, start + size - 1),
    ]);
    const batches = await Promise.all(ids.map((id) => this.#queue.getBatch(id)));
    const ebooks: EbookSummary[] = [];
    const gone: string[] = [];
    batches.forEach((batch, i) => {
      const meta = batch?.meta as EbookMeta | undefined;
      if (!batch || !meta) {
        gone.push(ids[i] ?? '');
        return;
      }
      ebooks.push({
        id: batch.id,
        title: meta.title,
        topic: meta.topic,
        total: batch.total,
        completed: batch.completed,
        failed: batch.failed,
        done: batch.done,
        createdAt: batch.createdAt,
      });
    });
    if (gone.length) await client.zrem(this.#key, ...gone);
    return { total: total - gone.length, ebooks };
  }
}

/**
 * The pages `start` to `start + size` of an ebook: finished ones from the
 * batch, the others from their jobs (running, between attempts, waiting).
 */
export async function readPages(
  queue: Queue<EbookJobs>,
  meta: EbookMeta,
  jobIds: readonly string[],
  { start, size, maxAttempts }: { start: number; size: number; maxAttempts?: number },
): Promise<PageView[]> {
  const items = (await queue.getBatchResults<PageResult>(meta.id)).slice(start, start + size);
  return Promise.all(
    items.map(async (item): Promise<PageView> => {
      const title = meta.pages[item.index]?.title ?? `Page ${item.index + 1}`;
      const base = { index: item.index, title };
      if (item.state === 'completed')
        return { ...base, state: 'done', attempt: 0, text: item.result.text };
      if (item.state === 'failed')
        return { ...base, state: 'failed', attempt: 0, error: item.error.message };
      const id = jobIds[item.index];
      const job = id === undefined ? null : await queue.getJob(id);
      return { ...base, ...runningView(job, maxAttempts) };
    }),
  );
}

function runningView(
  job: JobInfo | null,
  fallbackMax: number | undefined,
): Omit<PageView, 'index' | 'title'> {
  if (!job) return { state: 'waiting', attempt: 0 };
  const maxAttempts = job.maxAttempts ?? fallbackMax;
  const common = {
    attempt: job.attempts,
    ...(maxAttempts === undefined ? {} : { maxAttempts }),
    ...(job.error ? { error: job.error.message } : {}),
  };
  if (job.state === 'active') return { state: 'writing', ...common, ...progressText(job) };
  return { state: job.attempts > 0 ? 'retrying' : 'waiting', ...common };
}

/** The text so far, when the handler reports `{ text }` as its progress (`ctx.progress()`). */
function progressText(job: JobInfo): { text?: string } {
  const text = (job.progress as { text?: unknown } | null | undefined)?.text;
  return typeof text === 'string' ? { text } : {};
}
