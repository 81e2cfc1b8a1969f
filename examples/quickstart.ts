/**
 * The smallest complete program: a producer adds a batch of "pages", a pool of
 * 3 workers generates them (a sleep stands in for a model call), and the
 * producer shows progress and prints the pages in order.
 *
 *   npm run example
 */
import { Queue, WorkerPool } from 'redis-worker-pool';
import { findRedis } from './lib/local-redis.js';

// One entry per job name: what a job carries, and what its handler returns.
type Jobs = {
  page: { data: { topic: string; index: number }; result: { index: number; text: string } };
};

const redis = await findRedis();
console.log(`Using ${redis.description}.`);

const queue = new Queue<Jobs>('quickstart', { connection: redis.url });
const pool = new WorkerPool<Jobs>(
  'quickstart',
  {
    // The signal is aborted on timeout or shutdown: pass it to fetch(), the openai SDK...
    page: async (job, { signal, attempt }) => {
      await new Promise((resolve) => setTimeout(resolve, 300 + Math.random() * 500));
      signal.throwIfAborted();
      return {
        index: job.data.index,
        text: `Page ${job.data.index + 1} about ${job.data.topic} (attempt ${attempt})`,
      };
    },
  },
  { connection: redis.url, concurrency: 3, statsInterval: 0 },
);

// SIGINT/SIGTERM handling is the application's: close gracefully, then exit.
const shutdown = async () => {
  await pool.close();
  await queue.close();
  await redis.stop();
  process.exit(0);
};
// A failed shutdown should crash loudly, as an unhandled rejection does.
process.once('SIGINT', () => void shutdown());
process.once('SIGTERM', () => void shutdown());

await pool.start();
const batch = await queue.addBatch(
  Array.from({ length: 6 }, (_, index) => ({
    name: 'page' as const,
    data: { topic: 'honey bees', index },
  })),
);
const result = await queue.waitForBatch<Jobs['page']['result']>(batch.id, {
  timeout: 60_000,
  onProgress: (p) =>
    console.log(`[Progress] ${p.completed + p.failed}/${p.total} pages (${p.failed} failed)`),
});
for (const item of result.items)
  console.log(item.state === 'completed' ? item.result?.text : `page ${item.index} failed`);
console.log(
  `[Done] ${result.completed} pages in ${((result.finishedAt ?? Date.now()) - result.createdAt) / 1000}s`,
);
await shutdown();
