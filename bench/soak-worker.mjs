// One pool process of the chaos soak (bench/soak.ts). Loads the built package
// by its published name, as a user's worker would; reports to the soak over IPC.
import { Redis } from 'ioredis';
import { WorkerPool } from 'redis-worker-pool';

// The parent (a test or a benchmark) is gone: do not outlive it.
process.on('disconnect', () => process.exit(1));

const config = JSON.parse(process.argv[2] ?? '{}');
const send = (message) => {
  if (process.connected) process.send?.(message, () => {});
};
const counter = new Redis(config.url, { maxRetriesPerRequest: null });
counter.on('error', () => {});

const sleep = (ms, signal) =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason);
    });
  });

const pool = new WorkerPool(
  'soak',
  async (job, { signal, attempt }) => {
    // Every execution counts, so the soak can tell how many jobs ran more than once.
    await counter.hincrby(`${config.prefix}:runs`, job.id, 1);
    await sleep(job.data.ms, signal);
    // A few jobs fail their first attempt, so retries go through the chaos too.
    if (job.data.flaky && attempt === 1) throw new Error('flaky upstream');
    return { pid: process.pid, attempt };
  },
  {
    connection: config.url,
    prefix: config.prefix,
    concurrency: config.concurrency,
    leaseDuration: config.leaseDuration,
    pollInterval: 500,
    gracePeriod: 2000,
    backoff: { delay: 100, jitter: 0.5 },
    statsInterval: 0,
    logger: false,
  },
);
for (const type of ['completed', 'failed', 'retrying', 'stalled', 'leaseLost']) {
  pool.on(type, (e) => send({ type, jobId: e.job?.id ?? e.jobId, attempt: e.attempt }));
}
pool.on('error', ({ context }) => send({ type: 'error', context }));

process.on('SIGTERM', async () => {
  await pool.close();
  counter.disconnect();
  process.exit(0);
});

await pool.start();
send({ type: 'ready' });
