/**
 * The screenshots in the docs, taken from real data on a Redis of its own:
 * the dashboard's (docs/images/dashboard.png), a pool working through a batch
 * of pages, a few failing for good; and the ebook page's
 * (docs/images/ebook-page.png), an ebook being written offline by the ebook
 * HTTP API's pool. `--serve` keeps it all running and prints the URLs, to
 * look at both by hand.
 *
 *   npm run docs:screenshots [-- --serve]
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { Queue, UnrecoverableError, WorkerPool } from 'redis-worker-pool';
import { createDashboard } from 'redis-worker-pool/dashboard';
import { createEbookPageHandler, createOutlinePlanner } from '../../examples/ebook/generator.js';
import type { EbookJobs } from '../../examples/ebook/ebook.js';
import { createEbookApi } from '../../examples/http-api/ebook-api.js';
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

// The ebook page: the API and a pool of its own, pages written offline, slowly enough to see them.
const offline = { mode: 'offline' as const, model: 'offline', offlineLatency: 2500 };
const ebooks = new Queue<EbookJobs>('ebook-pages', { connection });
const ebookPool = new WorkerPool<EbookJobs>(
  'ebook-pages',
  { page: createEbookPageHandler(offline) },
  { connection, concurrency: 3, statsInterval: 0, logger: false },
);
await ebookPool.start();
const ebookApi = createEbookApi({
  queue: ebooks,
  planOutline: createOutlinePlanner(offline),
  mode: 'offline',
});
await new Promise<void>((resolve) => ebookApi.listen(0, '127.0.0.1', resolve));
const ebookUrl = `http://127.0.0.1:${(ebookApi.address() as AddressInfo).port}/`;
const addEbook = async (topic: string, pages: number) => {
  const response = await fetch(`${ebookUrl}api/ebook`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ topic, pages }),
  });
  return ((await response.json()) as { page: string }).page;
};
await addEbook('Glaciers', 3);
let ebookPage = await addEbook('Volcanoes', 5);

if (serve) {
  console.log(`Dashboard: ${url} (batch ${batch.id}); Ctrl+C to stop.`);
  console.log(`Ebook page: ${ebookUrl} (an ebook: ${ebookUrl}${ebookPage.slice(1)})`);
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

  ebookPage = await addEbook('Honey bees', 8);
  const ebook = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  await ebook.goto(`${ebookUrl}${ebookPage.slice(1)}`);
  await ebook.locator('#cards li.done').first().waitFor({ timeout: 20_000 });
  const ebookFile = join(root, 'docs', 'images', 'ebook-page.png');
  await ebook.screenshot({ path: ebookFile, fullPage: true });
  console.log(`Wrote ${ebookFile}`);
  await browser.close();
}

await new Promise<void>((resolve) => server.close(() => resolve()));
server.closeAllConnections();
await dashboard.close();
ebookApi.closeAllConnections();
await new Promise<void>((resolve) => ebookApi.close(() => resolve()));
await ebookPool.close();
await ebooks.close();
await pool.close();
await queue.close();
await other.close();
await redis.stop();
