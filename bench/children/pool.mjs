// A pool in its own process for the benchmarks, on the built package.
// argv[2]: JSON { url, prefix, queue, concurrency, handler: 'noop' | 'sleep', sleepMs, expect, latency }
// Messages to the parent: ready; done { count, ms, cpuUs, rss }; latencies { values }.
import { WorkerPool } from '../../dist/index.js';

// The parent (a test or a benchmark) is gone: do not outlive it.
process.on('disconnect', () => process.exit(1));

const config = JSON.parse(process.argv[2]);
const send = (m) => process.send?.(m);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const now = () => performance.timeOrigin + performance.now();

let completed = 0;
let firstAt = 0;
const latencies = [];
const cpuStart = process.cpuUsage();
const rssStart = process.memoryUsage().rss;

async function handler(job) {
  if (config.latency) latencies.push(now() - job.data.sentAt);
  if (!firstAt) firstAt = now();
  if (config.handler === 'sleep') await sleep(config.sleepMs);
  return null;
}

const pool = new WorkerPool(config.queue, handler, {
  connection: config.url,
  prefix: config.prefix,
  concurrency: config.concurrency,
  logger: false,
  statsInterval: 0,
});
pool.on('completed', () => {
  completed++;
  if (completed === config.expect) {
    const cpu = process.cpuUsage(cpuStart);
    send({
      type: 'done',
      count: completed,
      firstAt,
      lastAt: now(),
      cpuUs: cpu.user + cpu.system,
      rssStart,
      rssEnd: process.memoryUsage().rss,
      latencies: config.latency ? latencies : undefined,
    });
  }
});
process.on('message', async (m) => {
  if (m === 'close') {
    await pool.close();
    process.exit(0);
  }
});
await pool.start();
send({ type: 'ready' });
