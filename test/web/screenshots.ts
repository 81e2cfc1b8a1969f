/**
 * The dashboard's screenshot in the docs (docs/images/dashboard.png), taken
 * from real data: a Redis of its own, a pool working through a batch of
 * pages, a few failing for good. `--serve` keeps it all running and prints
 * the URL, to look at the dashboard by hand.
 *
 *   npm run docs:screenshots [-- --serve]
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { Queue, UnrecoverableError, WorkerPool } from 'redis-worker-pool';
import { createDashboard } from 'redis-worker-pool/dashboard';
import { startRedisServer } from '../support/redis-server.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './browser.js';

type Jobs = {
  page: { data: { topic: string; index: number }; result: { words: number } };
  summary: { data: { topic: string }; result: { words: number } };
};

const serve = process.argv.includes('--serve');
const root = join(import.meta.dirname, '..', '..');
const redis = await startRedisServer();
const connection = redis.url;
const queue = new Queue<Jobs>('pages', { connection });
const other = new Queue<Jobs>('summaries', { connection });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const pool = new WorkerPool<Jobs>(
  'pages',
  {
    page: async (job) => {
      await sleep(150 + Math.random() * 400);
      if (job.data.index % 17 === 5)
        throw new UnrecoverableError('The model refused: content policy (400)');
      return { words: 300 + Math.round(Math.random() * 200) };
    },
    summary: async () => ({ words: 120 }),
  },
  { connection, concurrency: 4, statsInterval: 0, logger: false, attempts: 2 },
);

const topics = ['Bees', 'Tides', 'Glaciers', 'Volcanoes', 'Owls'];
const batch = await queue.addBatch(
  Array.from({ length: 60 }, (_, index) => ({
    name: 'page' as const,
    data: { topic: topics[index % topics.length]!, index },
  })),
  { meta: { title: 'A short book about nature' } },
);
await other.addBulk(
  Array.from({ length: 25 }, () => ({ name: 'summary' as const, data: { topic: 'Owls' } })),
);
await pool.start();

const dashboard = createDashboard({ connection, queues: ['pages', 'summaries'] });
const server = createServer(dashboard);
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;

// Let the pool finish part of the batch, then add work it will not get to at once.
await sleep(6000);
await queue.addBulk(
  Array.from({ length: 400 }, (_, index) => ({
    name: 'page' as const,
    data: { topic: 'Rivers', index: 100 + index },
  })),
);

if (serve) {
  console.log(`Dashboard: ${url} (batch ${batch.id}); Ctrl+C to stop.`);
  await new Promise((resolve) => process.once('SIGINT', resolve));
} else {
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  await page.goto(`${url}#q=pages&state=failed&batch=${encodeURIComponent(batch.id)}`);
  await page.locator('#job-list tbody tr').first().waitFor();
  await page.locator('#batch-items tbody tr').first().waitFor();
  await sleep(2500);
  const file = join(root, 'docs', 'images', 'dashboard.png');
  await page.screenshot({ path: file, fullPage: true });
  console.log(`Wrote ${file}`);
  await browser.close();
}

await new Promise<void>((resolve) => server.close(() => resolve()));
server.closeAllConnections();
await dashboard.close();
await pool.close();
await queue.close();
await other.close();
await redis.stop();
