/**
 * An ebook is a batch of page jobs. This module holds what every part of the
 * example shares: the job types, adding an ebook to the queue, and reading
 * it back (progress, or the finished pages in order) from any process.
 */
import { randomBytes } from 'node:crypto';
import type { BatchItem, BatchProgress, ItemProgress, Queue } from 'redis-worker-pool';
import { estimatePageTokens, pageCacheKey } from './budget.js';

/** One line of the outline: a page's title and what it covers. */
export interface OutlineEntry {
  title: string;
  summary: string;
}

/** What the outline planner returns: the whole book, before any page is written. */
export interface EbookPlan {
  topic: string;
  title: string;
  pages: OutlineEntry[];
  /** `offline`, or the model that writes the pages. */
  mode: 'openai' | 'offline';
  /** Words each page should have (a hint in the prompt). */
  words: number;
  /** The model to write the pages with, when not the worker's own (`OPENAI_MODEL`). */
  model?: string;
}

/** An ebook as stored with its batch (the batch's `meta`), so any process can assemble it. */
export interface EbookMeta extends EbookPlan {
  id: string;
  createdAt: number;
}

/** The payload of one page job: enough to write the page with no other lookup. */
export interface PageJobData {
  ebookId: string;
  topic: string;
  /** The ebook's title. */
  title: string;
  outline: OutlineEntry[];
  /** Position of this page, from 0. */
  index: number;
  mode: 'openai' | 'offline';
  words: number;
  /** The model asked for, when not the worker's own. */
  model?: string;
}

export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
}

/** What a page handler returns, stored in the batch at the page's position. */
export interface PageResult {
  index: number;
  title?: string;
  text: string;
  /** The model that wrote it, or `offline`. */
  model: string;
  usage: TokenUsage;
}

/**
 * What a page handler reports while it writes (`ctx.progress()`): the text so
 * far. `done` on the last report, sent just before the page is returned.
 */
export interface PageProgress {
  chars: number;
  text: string;
  done?: boolean;
}

/** The payload of an `assemble` job: the ebook it writes out (its batch is `job.parentBatchId`). */
export interface AssembleJobData {
  ebookId: string;
}

/** What an `assemble` job returns: where it wrote the files, or why it wrote none. */
export type AssembleResult =
  { state: 'written'; markdown: string; html: string } | { state: 'cancelled' };

/** The job map of the example's queue: `page`, one per page. */
export type EbookJobs = { page: { data: PageJobData; result: PageResult } };

/**
 * What the runner's and the API's pools run: pages, and `assemble`, the batch's
 * `then` job (`addEbook(..., { assemble: true })`), which writes the ebook's
 * files once every page finished. Any pool of a queue may claim the `assemble`
 * job of an ebook added that way: give every one of them its handler.
 */
export type EbookPoolJobs = EbookJobs & {
  assemble: { data: AssembleJobData; result: AssembleResult };
};

/** The queue the runner, the workers and the HTTP API share unless told otherwise. */
export const DEFAULT_QUEUE = 'ebook-pages';

/** How long an ebook (its pages and metadata) stays in Redis after it finishes: 7 days. */
export const EBOOK_TTL_SECONDS = 7 * 24 * 3600;

/** What `addEbook` returns: the ebook, and the id of the job that writes each page, in order. */
export type AddedEbook = EbookMeta & {
  readonly jobIds: readonly string[];
  /** Pages reused from the cache (written, or being written, for an earlier ebook). */
  readonly cachedPages: number;
};

/** How `addEbook` adds the pages. */
export interface AddEbookOptions {
  /** A client's id, or the model's name: the pages' group (groups take turns). */
  group?: string;
  /**
   * Make assembly the batch's `then` job: when the last page finishes, any pool of
   * the queue writes the files (its own `--out`), even if the process that added
   * the ebook is gone.
   */
  assemble?: boolean;
  /**
   * Reuse pages already written (or being written) for the same topic, prompt and
   * model, for `ttl` ms: such a page costs no model call. `undefined`: every page is written anew.
   */
  cache?: { ttl: number };
  /** The model the workers write with when the plan names none: part of each page's cache key. */
  model?: string;
}

/** Pages and outlines are reused for 7 days, as long as an ebook stays in Redis. */
export const CACHE_TTL_MS = EBOOK_TTL_SECONDS * 1000;

/**
 * Add one page job per outline entry as one batch, the plan as its meta; returns the ebook.
 * With `group` (a client's id, or the model's name), the pages are that group's: groups
 * take turns, so one client's 200 pages do not hold up another's 5. A page for a model
 * carries its estimated tokens as its `cost`, charged to a `by: 'cost'` window.
 */
export async function addEbook(
  queue: Queue<EbookJobs>,
  plan: EbookPlan,
  { group, assemble = false, cache, model }: AddEbookOptions = {},
): Promise<AddedEbook> {
  const id = `${Date.now()}-${randomBytes(3).toString('hex')}`;
  const meta: EbookMeta = { ...plan, id, createdAt: Date.now() };
  const keyModel = plan.mode === 'offline' ? 'offline' : (plan.model ?? model ?? 'default');
  // The title and outline travel with the batch: any process that sees it can assemble the ebook.
  const batch = await queue.addBatch(
    plan.pages.map((_, index) => {
      const data: PageJobData = {
        ebookId: id,
        topic: plan.topic,
        title: plan.title,
        outline: plan.pages,
        index,
        mode: plan.mode,
        words: plan.words,
        ...(plan.model ? { model: plan.model } : {}),
      };
      // The ebook id is in the data but not in the prompt: another ebook's page of the same prompt is reused.
      const opts = {
        ...(plan.mode === 'openai' ? { cost: estimatePageTokens(data) } : {}),
        ...(cache ? { cache: { key: pageCacheKey(data, keyModel), ttl: cache.ttl } } : {}),
      };
      return { name: 'page' as const, data, ...(Object.keys(opts).length ? { opts } : {}) };
    }),
    {
      batchId: id,
      ttl: EBOOK_TTL_SECONDS,
      meta,
      ...(group === undefined ? {} : { group }),
      ...(assemble ? { then: { name: 'assemble' as const, data: { ebookId: id } } } : {}),
    },
  );
  return {
    ...meta,
    jobIds: batch.jobs.map((job) => job.id),
    cachedPages: batch.jobs.filter((job) => job.cached).length,
  };
}

/** The stored metadata of an ebook, or `null` if there is none (never added, or expired). */
export async function getEbookMeta(queue: Queue<EbookJobs>, id: string): Promise<EbookMeta | null> {
  return ((await queue.getBatch(id))?.meta as EbookMeta | undefined) ?? null;
}

/** One page of an assembled ebook, in order: its text, or why it is missing. */
export type EbookPage =
  | { index: number; title: string; state: 'completed'; result: PageResult }
  | { index: number; title: string; state: 'failed'; error: string }
  | { index: number; title: string; state: 'pending' };

/** An ebook with its pages in order, ready to be written out. */
export interface Ebook {
  meta: EbookMeta;
  progress: BatchProgress;
  pages: EbookPage[];
}

/** Pair each batch item with its outline entry. */
export function toPages(meta: EbookMeta, items: readonly BatchItem<PageResult>[]): EbookPage[] {
  return items.map((item) => {
    const title = meta.pages[item.index]?.title ?? `Page ${item.index + 1}`;
    if (item.state === 'completed')
      return { index: item.index, title, state: 'completed', result: item.result };
    if (item.state === 'failed')
      return { index: item.index, title, state: 'failed', error: item.error.message };
    return { index: item.index, title, state: 'pending' };
  });
}

/** An ebook's metadata and progress now, with its pages once every page finished. */
export async function getEbook(
  queue: Queue<EbookJobs>,
  id: string,
): Promise<{ meta: EbookMeta; progress: BatchProgress; pages?: EbookPage[] } | null> {
  const progress = await queue.getBatch(id);
  const meta = progress?.meta as EbookMeta | undefined;
  if (!meta || !progress) return null;
  if (!progress.done) return { meta, progress };
  return { meta, progress, pages: toPages(meta, await queue.getBatchResults<PageResult>(id)) };
}

/**
 * Wait until every page of an ebook completed or failed, from any process,
 * calling `onProgress` as pages finish. Throws `BatchNotFoundError` if there
 * is no such ebook.
 */
export async function waitForEbook(
  queue: Queue<EbookJobs>,
  id: string,
  options: {
    onProgress?: (progress: BatchProgress) => void;
    /** A page's text so far as its handler reports it (`PageProgress`), as it comes. */
    onItemProgress?: (item: ItemProgress) => void;
    timeout?: number;
    signal?: AbortSignal;
  } = {},
): Promise<Ebook> {
  const done = await queue.waitForBatch<PageResult>(id, options);
  const meta = done.meta as EbookMeta | undefined;
  if (!meta)
    throw new Error(
      `Ebook ${id} has pages but no metadata (it expired, or was not added by this example)`,
    );
  return { meta, progress: done, pages: toPages(meta, done.items) };
}
