/**
 * The outline as a cached job: one model call per topic, number of pages, words
 * and model, reused for as long as the cache keeps it. So the same command run
 * again plans the same ebook, and its pages, whose prompts hold the outline,
 * hit the cache too. Outlines have a queue of their own (`<queue>-outlines`)
 * and a small pool in the process that plans, so planning never waits for a
 * page worker, and a page worker never gets an outline job it cannot run.
 */
import { Queue, WorkerPool, type Logger } from 'redis-worker-pool';
import { outlineCacheKey } from './budget.js';
import type { EbookPlan } from './ebook.js';
import type { OutlinePlanner } from './generator.js';

type OutlineRequest = { topic: string; pages: number; words: number };
type OutlineJobs = {
  outline: { data: OutlineRequest; result: { plan: EbookPlan; warnings: string[] } };
};

export interface OutlineService {
  /** Plan an ebook: the cached outline when there is one, else one model call. */
  readonly plan: OutlinePlanner;
  close(): Promise<void>;
}

export async function startOutlineService(options: {
  /** The pages' queue: outlines go to `<queue>-outlines`. */
  queue: string;
  connection: string;
  prefix?: string;
  planner: OutlinePlanner;
  /** The model the outline is asked of: part of its cache key (`offline` offline). */
  model: string;
  /** Reuse an outline for `ttl` ms; `undefined`: plan anew every time. */
  cache?: { ttl: number };
  logger?: Logger | false;
}): Promise<OutlineService> {
  const name = `${options.queue}-outlines`;
  const common = {
    connection: options.connection,
    ...(options.prefix ? { prefix: options.prefix } : {}),
    logger: options.logger ?? false,
  };
  const queue = new Queue<OutlineJobs>(name, common);
  const pool = new WorkerPool<OutlineJobs>(
    name,
    {
      outline: async (job, { signal }) => {
        const warnings: string[] = [];
        const plan = await options.planner(job.data, { signal, warn: (w) => warnings.push(w) });
        return { plan, warnings };
      },
    },
    // The planner's SDK retries itself; a 429 holds this queue without spending an attempt.
    {
      ...common,
      concurrency: 2,
      processingDelay: 0,
      statsInterval: 0,
      attempts: 2,
      timeout: 180_000,
    },
  );
  await pool.start();
  return {
    async plan(request, { signal, warn } = {}) {
      const { cache } = options;
      const added = await queue.add(
        'outline',
        request,
        cache ? { cache: { key: outlineCacheKey(request, options.model), ttl: cache.ttl } } : {},
      );
      const { plan, warnings } = await queue.waitForResult(added.id, {
        timeout: 300_000,
        ...(signal ? { signal } : {}),
      });
      for (const w of warnings) warn?.(w);
      return plan;
    },
    async close() {
      await pool.close();
      await queue.close();
    },
  };
}
