/**
 * Pages per minute of the ebook example at 1, 3 and 5 workers, against the
 * mock OpenAI API answering every page in a fixed time (2 s by default), to
 * set beside the original deployment's table. Starts its own redis-server.
 *
 *   npx tsx --tsconfig tsconfig.run.json bench/ebook-throughput.ts
 *   npx tsx --tsconfig tsconfig.run.json bench/ebook-throughput.ts --pages 20 --answer 2000 --delays 500,0
 *
 * Each case is one fresh 20-page ebook: the clock runs from adding it to its
 * last page, so it includes the claim, the HTTP round trip, the SDK, and
 * `processingDelay` (the original's `PROCESSING_DELAY`, 500 ms by default).
 */
import { parseArgs } from 'node:util';
import { Queue, WorkerPool } from 'redis-worker-pool';
import { addEbook, waitForEbook, type EbookJobs } from '../examples/ebook/ebook.js';
import { createPageHandler } from '../examples/ebook/page-handler.js';
import { echoPage, startMockOpenAI } from '../test/support/mock-openai.js';
import { startRedisServer } from '../test/support/redis-server.js';

const { values } = parseArgs({
  options: {
    pages: { type: 'string', default: '20' },
    answer: { type: 'string', default: '2000' },
    workers: { type: 'string', default: '1,3,5' },
    delays: { type: 'string', default: '500,0' },
  },
});
const pages = Number(values.pages);
const answer = Number(values.answer);
const workerCounts = values.workers.split(',').map(Number);
const delays = values.delays.split(',').map(Number);

const redis = await startRedisServer();
const mock = await startMockOpenAI(echoPage(answer));
const rows: { workers: number; delay: number; seconds: number; perMinute: number }[] = [];

try {
  for (const delay of delays) {
    for (const workers of workerCounts) {
      const prefix = `bench-ebook-${workers}-${delay}`;
      const queue = new Queue<EbookJobs>('ebook', { connection: redis.url, prefix, logger: false });
      const pool = new WorkerPool<EbookJobs>(
        'ebook',
        { page: createPageHandler({ apiKey: 'bench', baseURL: mock.url, model: 'mock' }) },
        {
          connection: redis.url,
          prefix,
          concurrency: workers,
          processingDelay: delay,
          logger: false,
          statsInterval: 0,
        },
      );
      await pool.start();
      const plan = {
        topic: 'honey bees',
        title: 'Bench',
        mode: 'openai' as const,
        words: 300,
        pages: Array.from({ length: pages }, (_, i) => ({ title: `Page ${i + 1}`, summary: '' })),
      };
      const started = Date.now();
      const meta = await addEbook(queue, plan);
      const ebook = await waitForEbook(queue, meta.id, { timeout: 30 * 60_000 });
      const seconds = (Date.now() - started) / 1000;
      if (ebook.progress.completed !== pages)
        throw new Error(`only ${ebook.progress.completed} pages completed`);
      rows.push({ workers, delay, seconds, perMinute: (pages * 60) / seconds });
      console.log(
        `workers=${workers} processingDelay=${delay}ms: ${pages} pages in ${seconds.toFixed(1)} s = ${((pages * 60) / seconds).toFixed(1)} pages/min`,
      );
      await pool.close();
      await queue.close();
    }
  }
} finally {
  await mock.close();
  await redis.stop();
}

console.log(`\nMock answer time ${answer} ms, ${pages} pages per ebook:\n`);
console.log('| Workers | PROCESSING_DELAY | Pages/min | Time for 20 pages |');
console.log('| ------- | ---------------- | --------- | ----------------- |');
for (const r of rows)
  console.log(
    `| ${r.workers} | ${r.delay} ms | ${r.perMinute.toFixed(1)} | ${((20 * 60) / r.perMinute).toFixed(1)} s |`,
  );
