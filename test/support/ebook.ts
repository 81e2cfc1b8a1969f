/**
 * Queues and pools for the ebook example's tests. They use the package by its
 * published name, as the example does (the built dist/, rebuilt by the global
 * setup when src/ changes), each test under a fresh key prefix.
 */
import { afterEach } from 'vitest';
import { Queue, WorkerPool, type JobHandlers, type WorkerPoolOptions } from 'redis-worker-pool';
import type { EbookJobs, EbookPlan } from '../../examples/ebook/ebook.js';
import { redisUrl, uniquePrefix } from './redis.js';

export function useEbookQueue(label: string) {
  const open: { close(options?: { force?: boolean }): Promise<unknown> }[] = [];
  let prefix = uniquePrefix(label);
  afterEach(async () => {
    await Promise.all(open.splice(0).map((o) => o.close({ force: true }).catch(() => {})));
    prefix = uniquePrefix(label);
  });
  return {
    get prefix() {
      return prefix;
    },
    queue(name = 'ebook'): Queue<EbookJobs> {
      const queue = new Queue<EbookJobs>(name, { connection: redisUrl(), prefix, logger: false });
      open.push(queue);
      return queue;
    },
    pool(
      handlers: JobHandlers<EbookJobs>,
      options: WorkerPoolOptions<EbookJobs> = {},
      name = 'ebook',
    ): WorkerPool<EbookJobs> {
      const pool = new WorkerPool<EbookJobs>(name, handlers, {
        connection: redisUrl(),
        prefix,
        logger: false,
        statsInterval: 0,
        processingDelay: 0,
        // Short, fixed waits between attempts: the tests assert outcomes, not the backoff curve.
        backoff: { type: 'fixed', delay: 200, jitter: 0 },
        ...options,
      });
      open.push(pool);
      return pool;
    },
  };
}

/** A plan of `pages` pages titled `Page title N`, as the outline planner would return. */
export function testPlan(pages: number, mode: 'openai' | 'offline' = 'openai'): EbookPlan {
  return {
    topic: 'honey bees',
    title: 'All About Honey Bees',
    mode,
    words: 100,
    pages: Array.from({ length: pages }, (_, i) => ({
      title: `Page title ${i + 1}`,
      summary: `What page ${i + 1} covers.`,
    })),
  };
}
