// A pool in its own process for the benchmarks, on the built package.
// argv[2]: JSON { url, prefix, queue, concurrency, handler: 'noop' | 'sleep', sleepMs, expect, warmup, latency,
//   groupConcurrency: the pool's `group.concurrency`,
//   watchGroup, watchCount: report when `watchCount` jobs of `watchGroup` have started,
//   countActive: count each group's running jobs in Redis (INCR/DECR, shared by every process) }
// Messages to the parent: ready; warm (the first `warmup` jobs are done: measuring starts);
// done { firstAt, lastAt, cpuUs, rss..., sleptMs } for the `expect` jobs after the warm-up;
// watched { startedAt: when each watched job started };
// closed { maxActive: the most jobs of one group seen running at once (countActive),
//   othersDoneAt: when each job not of `watchGroup` finished }.
// The pool of the tests (test/fixtures/pool-process.mjs) does more per job than a
// benchmark should measure; the process plumbing is the same (test/support/child.mjs).
import { Redis } from 'ioredis';
import { WorkerPool } from '../../dist/index.js';
import { config, onStop, send } from '../../test/support/child.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const now = () => performance.timeOrigin + performance.now();

let completed = 0;
const warmup = config.warmup ?? 0;
let firstAt = 0;
const latencies = [];
let cpuStart = process.cpuUsage();
let rssStart = process.memoryUsage().rss;
// How long the handler's own sleep really took: Node's timers run late by up to a millisecond.
let slept = 0;
let sleeps = 0;

const watchedAt = [];
const othersDoneAt = [];
// Running jobs per group, counted in Redis so that every process sees the others' (countActive).
const counter = config.countActive ? new Redis(config.url) : undefined;
let maxActive = 0;

async function handler(job) {
  if (config.latency) latencies.push(now() - job.data.sentAt);
  if (config.watchGroup && job.group === config.watchGroup) {
    watchedAt.push(now());
    if (watchedAt.length === config.watchCount) send({ type: 'watched', startedAt: watchedAt });
  }
  const activeKey = counter ? `bench-active:${config.prefix}:${job.group ?? ''}` : undefined;
  if (activeKey) maxActive = Math.max(maxActive, await counter.incr(activeKey));
  try {
    await run(job);
  } finally {
    if (activeKey) await counter.decr(activeKey);
  }
  if (config.watchGroup && job.group !== config.watchGroup) othersDoneAt.push(now());
  return null;
}

async function run() {
  if (!firstAt && completed >= warmup) firstAt = now();
  if (config.handler === 'sleep') {
    const t = now();
    await sleep(config.sleepMs);
    slept += now() - t;
    sleeps++;
  }
}

const pool = new WorkerPool(config.queue, handler, {
  connection: config.url,
  prefix: config.prefix,
  concurrency: config.concurrency,
  logger: false,
  statsInterval: 0,
  ...(config.groupConcurrency ? { group: { concurrency: config.groupConcurrency } } : {}),
});
pool.on('completed', () => {
  completed++;
  if (warmup > 0 && completed === warmup) {
    // Warm (the JIT has compiled the hot path): measure from here.
    cpuStart = process.cpuUsage();
    rssStart = process.memoryUsage().rss;
    slept = 0;
    sleeps = 0;
    send({ type: 'warm' });
  }
  if (completed === warmup + config.expect) {
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
      sleptMs: sleeps > 0 ? slept / sleeps : undefined,
    });
  }
});
onStop(async () => {
  await pool.close();
  counter?.disconnect();
  return { maxActive, othersDoneAt };
});
await pool.start();
send({ type: 'ready' });
