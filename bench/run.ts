/**
 * The benchmark suite: `npm run bench` (not part of `npm test`).
 *
 * Starts its own redis-server on a free port, runs producers and pools in
 * child processes (on the built package), repeats each case and prints the
 * median (min-max) as a table, and one JSON line per figure.
 *
 *   npm run bench                         # every case, 3 runs each
 *   npm run bench -- --runs 5 --only throughput-noop,pickup-latency
 *   npm run bench -- --scale-max 100000   # skip the 1M-job scale run
 *   npm run bench -- --peers              # the same cases on BullMQ and Bee-Queue too, with ratios
 *   npm run bench -- --profile            # where the pool's CPU per job goes (node --cpu-prof)
 */
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Queue } from 'redis-worker-pool';
import { startRedisServer, type RedisServer } from '../test/support/redis-server.js';
import { adaptiveConcurrencyBench } from './adaptive.js';
import { runPeerSuite } from './peer-suite.js';
import { runProfile } from './profile.js';
import {
  closeChild,
  escapeText,
  format,
  median,
  percentile,
  RedisProbe,
  spawnChild as spawnScript,
  type Message,
} from './support.js';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    only: { type: 'string' },
    'scale-max': { type: 'string', default: '1000000' },
    jobs: { type: 'string', default: '20000' },
    peers: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
  },
});
/** A count given on the command line, or a clear error naming the option. */
function count(option: string, value: string, min: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) {
    console.error(
      `Expected \`--${option}\` to be an integer >= ${min}, got \`${escapeText(value)}\` (string)`,
    );
    process.exit(2);
  }
  return n;
}
const RUNS = count('runs', args.runs, 1);
const ONLY = args.only ? new Set(args.only.split(',')) : undefined;
const SCALE_MAX = count('scale-max', args['scale-max'], 0);
const NOOP_JOBS = count('jobs', args.jobs, 1);
/** Jobs run before measuring a drain, so the JIT has compiled the hot path. */
const WARMUP = 2000;
const children = join(import.meta.dirname, 'children');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The clock the children stamp their messages with. */
const wallClock = () => performance.timeOrigin + performance.now();
const spawnChild = (script: string, config: object) => spawnScript(join(children, script), config);

interface Figure {
  case: string;
  metric: string;
  unit: string;
  values: number[];
  target?: string;
}
const figures: Figure[] = [];

function record(
  caseName: string,
  metric: string,
  unit: string,
  value: number,
  target?: string,
): void {
  let figure = figures.find((f) => f.case === caseName && f.metric === metric);
  if (!figure) figures.push((figure = { case: caseName, metric, unit, values: [], target }));
  figure.values.push(value);
}

let server: RedisServer;
let probe: RedisProbe;
let prefixCounter = 0;
const nextPrefix = () => `bench${++prefixCounter}`;

/**
 * Bulk-add `jobs` in a producer process; returns jobs/s of the add and when it
 * started. `grouping`: every job in `group`, or spread over `groups` groups in turn.
 */
async function produce(
  prefix: string,
  jobs: number,
  payloadBytes = 200,
  grouping: { group?: string; groups?: number } = {},
): Promise<{ rate: number; bytes: number; startedAt: number }> {
  const producer = spawnChild('producer.mjs', {
    url: server.url,
    prefix,
    queue: 'q',
    jobs,
    mode: 'bulk',
    payloadBytes,
    ...grouping,
  });
  const added = await producer.next('added');
  await producer.exited;
  return {
    rate: jobs / ((added.ms as number) / 1000),
    bytes: added.bytes as number,
    startedAt: added.startedAt as number,
  };
}

/**
 * Start `pools` pool processes on a queue that already holds `warmup + jobs`;
 * time the drain of the last `jobs`, once the first `warmup` have run (so the
 * JIT has compiled the hot path, as in a process that has been up a while).
 */
async function drain(
  prefix: string,
  jobs: number,
  pools: number,
  concurrency: number,
  handler: object,
  warmup = 0,
) {
  const perPool = pools === 1 ? jobs : undefined;
  const started = await Promise.all(
    Array.from({ length: pools }, () =>
      spawnChild('pool.mjs', {
        url: server.url,
        prefix,
        queue: 'q',
        concurrency,
        expect: perPool ?? -1,
        warmup,
        ...handler,
      }),
    ),
  );
  await Promise.all(started.map((p) => p.next('ready')));
  if (warmup > 0 && perPool) await started[0]!.next('warm');
  const before = await probe.stats();
  const t0 = performance.timeOrigin + performance.now();
  let done: Message | undefined;
  if (perPool) {
    done = await started[0]!.next('done');
  } else {
    // Several pools: watch the completed counter in Redis.
    const key = `${prefix}:{q}:completed`;
    for (;;) {
      const counts = await probe.client
        .multi()
        .llen(`${prefix}:{q}:wait`)
        .zcard(`${prefix}:{q}:active`)
        .exec();
      if (Number(counts?.[0]?.[1]) === 0 && Number(counts?.[1]?.[1]) === 0) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    void key;
  }
  const t1 = performance.timeOrigin + performance.now();
  const after = await probe.stats();
  await Promise.all(started.map(closeChild));
  const start = done ? Math.min(t0, done.firstAt as number) : t0;
  const end = done ? (done.lastAt as number) : t1;
  return {
    rate: jobs / ((end - start) / 1000),
    commandsPerJob: (after.commands - before.commands) / jobs,
    redisCpuUsPerJob: (after.cpuUs - before.cpuUs) / jobs,
    poolCpuUsPerJob: done ? (done.cpuUs as number) / jobs : NaN,
    rssStart: done ? (done.rssStart as number) : NaN,
    rssEnd: done ? (done.rssEnd as number) : NaN,
    sleptMs: done ? (done.sleptMs as number | undefined) : undefined,
  };
}

async function flush(): Promise<void> {
  await probe.client.flushall();
}

const cases: Record<string, () => Promise<void>> = {
  async 'throughput-noop'() {
    for (let run = 0; run < RUNS; run++) {
      for (const concurrency of [1, 5, 50]) {
        await flush();
        const prefix = nextPrefix();
        const added = await produce(prefix, WARMUP + NOOP_JOBS);
        if (concurrency === 1)
          record('throughput-noop', 'bulk-add', 'jobs/s', added.rate, '>= 60000');
        const r = await drain(prefix, NOOP_JOBS, 1, concurrency, { handler: 'noop' }, WARMUP);
        record(
          'throughput-noop',
          `c=${concurrency}`,
          'jobs/s',
          r.rate,
          concurrency === 50 ? '>= 25000' : undefined,
        );
        if (concurrency === 50) {
          record('per-job', 'redis commands/job (c=50)', 'cmds', r.commandsPerJob, '<= 5');
          record('per-job', 'redis CPU/job (c=50)', 'µs', r.redisCpuUsPerJob);
          record('per-job', 'pool CPU/job (c=50)', 'µs', r.poolCpuUsPerJob);
        }
      }
    }
  },

  async 'throughput-io'() {
    for (let run = 0; run < RUNS; run++) {
      for (const concurrency of [5, 50]) {
        await flush();
        const prefix = nextPrefix();
        await produce(prefix, 200 + 2000);
        const r = await drain(prefix, 2000, 1, concurrency, { handler: 'sleep', sleepMs: 20 }, 200);
        const ideal = concurrency / 0.02;
        // Against what the handler really took (Node's timers fire late): the pool's own share.
        if (r.sleptMs) {
          const measured = concurrency / (r.sleptMs / 1000);
          record(
            'throughput-io',
            `efficiency vs measured sleep c=${concurrency}`,
            'ratio',
            r.rate / measured,
          );
        }
        record('throughput-io', `c=${concurrency}`, 'jobs/s', r.rate);
        record(
          'throughput-io',
          `efficiency c=${concurrency}`,
          'ratio',
          r.rate / ideal,
          concurrency === 5 ? '>= 0.95' : '>= 0.90',
        );
      }
    }
  },

  async 'pickup-latency'() {
    for (let run = 0; run < RUNS; run++) {
      await flush();
      const prefix = nextPrefix();
      const pool = spawnChild('pool.mjs', {
        url: server.url,
        prefix,
        queue: 'q',
        concurrency: 5,
        expect: 500,
        latency: true,
        handler: 'noop',
      });
      await pool.next('ready');
      await new Promise((r) => setTimeout(r, 200)); // let it block on the marker
      const producer = spawnChild('producer.mjs', {
        url: server.url,
        prefix,
        queue: 'q',
        jobs: 500,
        mode: 'one-by-one',
        gapMs: 5,
        payloadBytes: 200,
      });
      const done = await pool.next('done');
      await producer.exited;
      await closeChild(pool);
      const values = done.latencies as number[];
      record('pickup-latency', 'p50', 'ms', percentile(values, 50), '<= 0.7');
      record('pickup-latency', 'p95', 'ms', percentile(values, 95));
      record('pickup-latency', 'p99', 'ms', percentile(values, 99), '<= 2.5');
      record('pickup-latency', 'max', 'ms', Math.max(...values));
    }
  },

  async 'multi-process'() {
    for (let run = 0; run < RUNS; run++) {
      await flush();
      const prefix = nextPrefix();
      await produce(prefix, NOOP_JOBS);
      // Two pools: measured from both being ready to the queue being empty (no warm-up).
      const r = await drain(prefix, NOOP_JOBS, 2, 25, { handler: 'noop' });
      record('multi-process', '2 pools x c=25', 'jobs/s', r.rate, '>= 25000');
    }
  },

  async scale() {
    for (const jobs of [10_000, 100_000, 1_000_000].filter((n) => n <= SCALE_MAX)) {
      await flush();
      const before = await probe.stats();
      const prefix = nextPrefix();
      const t0 = Date.now();
      await produce(prefix, jobs);
      const addMs = Date.now() - t0;
      const afterAdd = await probe.stats();
      const r = await drain(prefix, jobs, 1, 50, { handler: 'noop' });
      // Taken at once, while the pool's replay records (one per call, kept as long as a
      // lease) are all still there: what a drained job leaves behind, records included.
      const afterDrain = await probe.stats();
      const label = jobs >= 1e6 ? `${jobs / 1e6}M` : `${jobs / 1e3}k`;
      record('scale', `${label} add`, 's', addMs / 1000);
      record('scale', `${label} drain`, 's', jobs / r.rate);
      record(
        'scale',
        `${label} memory/waiting job`,
        'bytes',
        (afterAdd.memory - before.memory) / jobs,
        '<= 500',
      );
      record(
        'scale',
        `${label} memory/drained job (kept jobs + replay records)`,
        'bytes',
        (afterDrain.memory - before.memory) / jobs,
      );
      record('scale', `${label} pool RSS start`, 'MB', r.rssStart / 2 ** 20);
      record('scale', `${label} pool RSS end`, 'MB', r.rssEnd / 2 ** 20);
    }
  },

  /**
   * Fairness: group A's 5,000 jobs of 50 ms are running (concurrency 10) when
   * group B adds 20. Without groups B would wait for A's backlog (about 25 s).
   */
  async 'groups-fairness'() {
    for (let run = 0; run < RUNS; run++) {
      await flush();
      const prefix = nextPrefix();
      await produce(prefix, 5000, 200, { group: 'A' });
      const pool = spawnChild('pool.mjs', {
        url: server.url,
        prefix,
        queue: 'q',
        concurrency: 10,
        expect: -1,
        handler: 'sleep',
        sleepMs: 50,
        watchGroup: 'B',
        watchCount: 20,
      });
      await pool.next('ready');
      await sleep(1500); // A runs at full speed
      const b = await produce(prefix, 20, 200, { group: 'B' });
      const watched = await pool.next('watched');
      await sleep(Math.max(0, b.startedAt + 1100 - wallClock()));
      await closeChild(pool);
      const closed = await pool.next('closed');
      const lastStart = Math.max(...(watched.startedAt as number[]));
      const firstStart = Math.min(...(watched.startedAt as number[]));
      record('groups-fairness', "first of B's jobs started", 'ms', firstStart - b.startedAt);
      const aDone = closed.othersDoneAt as number[];
      // A's jobs finished per second in the second before B's add, and in the second after it.
      const aRate = (from: number) => aDone.filter((t) => t >= from && t < from + 1000).length;
      record(
        'groups-fairness',
        "all of B's 20 jobs started",
        'ms',
        lastStart - b.startedAt,
        '< 500',
      );
      // A's jobs finished in the same window (with every slot busy, it grows with the window).
      record(
        'groups-fairness',
        "A jobs finished meanwhile (before B's last start)",
        'jobs',
        aDone.filter((t) => t >= b.startedAt && t <= lastStart).length,
      );
      record(
        'groups-fairness',
        'A jobs/s, the second before B',
        'jobs/s',
        aRate(b.startedAt - 1000),
      );
      record('groups-fairness', 'A jobs/s, the second after B', 'jobs/s', aRate(b.startedAt));
      record('groups-fairness', 'A + B ideal (10 / 50 ms)', 'jobs/s', 200);
    }
  },

  /** Cost of grouping: no-op jobs spread over 1, 100 and 10,000 groups against no group. */
  async 'groups-cost'() {
    for (let run = 0; run < RUNS; run++) {
      let plain = NaN;
      for (const groups of [0, 1, 100, 10_000]) {
        await flush();
        const prefix = nextPrefix();
        await produce(prefix, WARMUP + NOOP_JOBS, 200, groups ? { groups } : {});
        const r = await drain(prefix, NOOP_JOBS, 1, 50, { handler: 'noop' }, WARMUP);
        const label = groups ? `${groups.toLocaleString('en-US')} groups` : 'no group';
        if (!groups) plain = r.rate;
        record('groups-cost', `${label} c=50`, 'jobs/s', r.rate);
        record('groups-cost', `${label} redis commands/job`, 'cmds', r.commandsPerJob);
        if (groups) {
          record(
            'groups-cost',
            `${label} ÷ no group`,
            'ratio',
            r.rate / plain,
            groups === 10_000 ? '>= 0.80' : undefined,
          );
        }
      }
    }
  },

  /**
   * Per-group concurrency holds across processes: 3 pools (concurrency 10
   * each) run 600 jobs of 20 ms in 4 groups; each handler counts its group's
   * running jobs in Redis. Without `group.concurrency`, the same count for contrast.
   */
  async 'groups-concurrency'() {
    for (let run = 0; run < RUNS; run++) {
      for (const groupConcurrency of [2, undefined]) {
        await flush();
        const prefix = nextPrefix();
        await produce(prefix, 600, 200, { groups: 4 });
        const queue = new Queue('q', { connection: server.url, prefix, logger: false });
        const pools = Array.from({ length: 3 }, () =>
          spawnChild('pool.mjs', {
            url: server.url,
            prefix,
            queue: 'q',
            concurrency: 10,
            expect: -1,
            handler: 'sleep',
            sleepMs: 20,
            groupConcurrency,
            countActive: true,
          }),
        );
        await Promise.all(pools.map((p) => p.next('ready')));
        for (;;) {
          const c = await queue.getCounts();
          if (c.waiting + c.active + c.delayed === 0) break;
          await sleep(20);
        }
        await Promise.all(pools.map(closeChild));
        await queue.close();
        const seen = await Promise.all(pools.map(async (p) => (await p.next('closed')).maxActive));
        const max = Math.max(...(seen as number[]));
        if (groupConcurrency) {
          record(
            'groups-concurrency',
            'most of one group active (group.concurrency 2)',
            'jobs',
            max,
            '= 2',
          );
        } else {
          record(
            'groups-concurrency',
            'most of one group active (no group.concurrency)',
            'jobs',
            max,
          );
        }
      }
    }
  },

  async 'adaptive-concurrency'() {
    for (let run = 0; run < RUNS; run++) {
      await flush();
      const f = await adaptiveConcurrencyBench(server.url, nextPrefix());
      const phases = ['hidden 8', 'hidden 8 -> 16', 'hidden 16 -> 8'];
      phases.forEach((phase, i) => {
        const first = i === 0;
        record(
          'adaptive-concurrency',
          `${phase}: settle within ±25%`,
          's',
          f.settle[i]!,
          first ? '< 30' : undefined,
        );
        record(
          'adaptive-concurrency',
          `${phase}: 429 share`,
          '%',
          f.limitedShare[i]! * 100,
          first ? '< 2' : undefined,
        );
        record(
          'adaptive-concurrency',
          `${phase}: throughput / ideal, settled`,
          '%',
          f.throughputRatio[i]! * 100,
          first ? '>= 85' : undefined,
        );
        record(
          'adaptive-concurrency',
          `${phase}: mean limit / hidden`,
          '%',
          f.limitShare[i]! * 100,
        );
        record(
          'adaptive-concurrency',
          `${phase}: requests held at the server / limit`,
          '%',
          f.inFlightShare[i]! * 100,
        );
        record(
          'adaptive-concurrency',
          `${phase}: answer time / ${300} ms`,
          '%',
          f.latencyStretch[i]! * 100,
        );
      });
    }
  },

  /**
   * 3 pool processes share a `by: 'cost'` window against a loopback mock of an
   * OpenAI-compatible server; each job's estimate is off by up to ±50 % from the
   * tokens the server reports (which settle it). The server records when each
   * request arrived and its real tokens.
   */
  async 'token-budget'() {
    const max = 3000;
    const duration = 3000;
    const jobs = 120;
    for (let run = 0; run < RUNS; run++) {
      await flush();
      const prefix = nextPrefix();
      const arrivals: { at: number; tokens: number; id: string }[] = [];
      const mock = createServer((req, res) => {
        let body = '';
        req.on('data', (chunk: Buffer) => (body += chunk.toString()));
        req.on('end', () => {
          const request = JSON.parse(body) as { real: number; messages: { content: string }[] };
          const real = Number(request.real);
          const id = request.messages[0]!.content.replace(/^job /, '');
          arrivals.push({ at: performance.timeOrigin + performance.now(), tokens: real, id });
          // A model's answer takes a while: the settle comes after the request counted.
          setTimeout(() => {
            res.setHeader('content-type', 'application/json');
            res.end(
              JSON.stringify({
                choices: [{ message: { role: 'assistant', content: 'page' } }],
                usage: { prompt_tokens: 0, completion_tokens: real, total_tokens: real },
              }),
            );
          }, 150);
        });
      });
      await new Promise<void>((resolve) => mock.listen(0, '127.0.0.1', resolve));
      const port = (mock.address() as AddressInfo).port;
      const pools = Array.from({ length: 3 }, () =>
        spawnChild('token-pool.mjs', {
          url: server.url,
          prefix,
          queue: 'q',
          concurrency: 8,
          limiter: { max, duration, by: 'cost' },
          server: `http://127.0.0.1:${port}/v1/chat/completions`,
        }),
      );
      await Promise.all(pools.map((p) => p.next('ready')));
      const queue = new Queue('q', { connection: server.url, prefix, logger: false });
      const reals = Array.from({ length: jobs }, () => 100 + Math.floor(Math.random() * 200));
      const added = await queue.addBulk(
        reals.map((real) => ({
          name: 'call',
          data: { real },
          opts: { cost: Math.max(1, Math.round(real * (0.5 + Math.random()))) },
        })),
      );
      while (arrivals.length < jobs) await new Promise((r) => setTimeout(r, 50));
      // When Redis recorded each claim (the window is enforced on these), to compare
      // with when the request reached the server (what an API counts).
      const claimedAt = new Map<string, number>();
      for (const job of added) {
        await queue.waitForResult(job.id, { timeout: 30_000 });
        claimedAt.set(job.id, (await queue.getJob(job.id))!.processedAt!);
      }
      await Promise.all(pools.map(closeChild));
      await queue.close();
      mock.close();
      // Highest real tokens in any rolling window (starting at an event), as % of max.
      const worstWindow = (events: { at: number; tokens: number }[]): number => {
        let worst = 0;
        for (const first of events) {
          let sum = 0;
          for (const e of events)
            if (e.at >= first.at && e.at < first.at + duration) sum += e.tokens;
          worst = Math.max(worst, sum);
        }
        return worst;
      };
      record(
        'token-budget',
        'max real tokens in a window, at the server',
        '%',
        (100 * worstWindow(arrivals)) / max,
        '<= 105',
      );
      const claims = arrivals.map((a) => ({ at: claimedAt.get(a.id)!, tokens: a.tokens }));
      record(
        'token-budget',
        'max real tokens in a window, at claim',
        '%',
        (100 * worstWindow(claims)) / max,
      );
      const lags = arrivals.map((a) => a.at - claimedAt.get(a.id)!).sort((a, b) => a - b);
      record('token-budget', 'claim to server, median', 'ms', lags[Math.floor(lags.length / 2)]!);
      record('token-budget', 'claim to server, max', 'ms', lags.at(-1)!);
      // Budget used while the backlog waits: the full windows from the first request
      // to the last one (the backlog is gone once the last job is sent).
      const t0 = arrivals[0]!.at;
      const last = arrivals.at(-1)!.at;
      const windows = Math.floor((last - t0) / duration);
      let used = 0;
      for (const a of arrivals) if (a.at < t0 + windows * duration) used += a.tokens;
      if (windows > 0)
        record(
          'token-budget',
          'budget used while backlog waits',
          '%',
          (100 * used) / (windows * max),
          '>= 90',
        );
    }
  },

  /**
   * 2 pool processes (concurrency 8 each) call a loopback mock of an
   * OpenAI-compatible server (300 ms answers) that runs out of quota after its
   * 40th request: from then on it answers 429 `insufficient_quota` at once, as
   * OpenAI does. The handler maps that to a `QuotaExceededError`. Figures: how
   * many requests still reach the server after its first quota answer, and
   * after the queue's pause is seen; then the quota comes back, the queue is
   * resumed, every job completes, and the attempts spent on quota answers are
   * the attempts counted beyond one per job.
   */
  async quota() {
    const jobs = 200;
    const concurrency = 8;
    const quotaAfter = 40;
    for (let run = 0; run < RUNS; run++) {
      await flush();
      const prefix = nextPrefix();
      const arrivals: number[] = [];
      let firstQuotaAt: number | undefined;
      let quotaOut = true;
      const mock = createServer((req, res) => {
        req.resume();
        req.on('end', () => {
          const now = wallClock();
          arrivals.push(now);
          res.setHeader('content-type', 'application/json');
          if (quotaOut && arrivals.length > quotaAfter) {
            firstQuotaAt ??= now;
            res.statusCode = 429;
            res.end(
              JSON.stringify({
                error: {
                  message:
                    'You exceeded your current quota, please check your plan and billing details.',
                  type: 'insufficient_quota',
                  code: 'insufficient_quota',
                },
              }),
            );
            return;
          }
          setTimeout(
            () =>
              res.end(
                JSON.stringify({ choices: [{ message: { role: 'assistant', content: 'page' } }] }),
              ),
            300,
          );
        });
      });
      await new Promise<void>((resolve) => mock.listen(0, '127.0.0.1', resolve));
      const port = (mock.address() as AddressInfo).port;
      const pools = Array.from({ length: 2 }, () =>
        spawnChild('quota-pool.mjs', {
          url: server.url,
          prefix,
          queue: 'q',
          concurrency,
          server: `http://127.0.0.1:${port}/v1/chat/completions`,
        }),
      );
      await Promise.all(pools.map((p) => p.next('ready')));
      const queue = new Queue('q', { connection: server.url, prefix, logger: false });
      const added = await queue.addBulk(
        Array.from({ length: jobs }, () => ({ name: 'call', data: {} })),
      );
      while (!(await queue.isPaused())) await sleep(5);
      const pausedSeenAt = wallClock();
      while ((await queue.getCounts()).active > 0) await sleep(20);
      // Nothing more is sent while paused: give it a while to show otherwise.
      await sleep(2000);
      const after = arrivals.filter((at) => at > firstQuotaAt!).length;
      const afterPause = arrivals.filter((at) => at > pausedSeenAt).length;
      record(
        'quota',
        'requests after the first insufficient_quota',
        'requests',
        after,
        `< ${concurrency} (one pool's concurrency)`,
      );
      record('quota', 'requests after the pause was seen', 'requests', afterPause, '0');
      quotaOut = false;
      await queue.resume();
      let attempts = 0;
      for (const job of added) {
        await queue.waitForResult(job.id, { timeout: 60_000 });
        attempts += (await queue.getJob(job.id))!.attempts;
      }
      record('quota', 'attempts spent on quota answers', 'attempts', attempts - jobs, '0');
      await Promise.all(pools.map(closeChild));
      await queue.close();
      mock.close();
    }
  },

  async ceiling() {
    for (const pipeline of [1, 16]) {
      const out = execFileSync(
        'redis-benchmark',
        ['-p', String(server.port), '-t', 'lpush', '-n', '200000', '-P', String(pipeline), '-q'],
        {
          encoding: 'utf8',
        },
      );
      const rate = Number(/([\d.]+) requests per second/.exec(out)?.[1] ?? NaN);
      record('ceiling', `redis-benchmark LPUSH -P ${pipeline}`, 'ops/s', rate);
    }
  },
};

async function main(): Promise<void> {
  server = await startRedisServer();
  probe = new RedisProbe(server.url);
  const version = (await probe.client.info('server')).match(/redis_version:(\S+)/)?.[1];
  console.log(
    `# redis-worker-pool benchmarks: ${cpus().length} cores (${cpus()[0]?.model}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, Redis ${version}, ${RUNS} runs`,
  );
  if (args.peers || args.profile) {
    try {
      const o = { url: server.url, probe, runs: RUNS, jobs: NOOP_JOBS, warmup: WARMUP, only: ONLY };
      if (args.peers && (await runPeerSuite(o)).failures.length > 0) process.exitCode = 1;
      if (args.profile) await runProfile(o);
    } finally {
      probe.client.disconnect();
      await server.stop();
    }
    return;
  }
  try {
    for (const [name, run] of Object.entries(cases)) {
      if (ONLY && !ONLY.has(name)) continue;
      console.log(`# running ${name}...`);
      await run();
    }
  } finally {
    probe.client.disconnect();
    await server.stop();
  }
  console.log('\n| case | figure | median | min - max | unit | target |');
  console.log('|---|---|---|---|---|---|');
  for (const f of figures) {
    const min = Math.min(...f.values);
    const max = Math.max(...f.values);
    console.log(
      `| ${f.case} | ${f.metric} | ${format(median(f.values), f.unit)} | ${format(min, f.unit)} - ${format(max, f.unit)} | ${f.unit} | ${f.target ?? ''} |`,
    );
  }
  console.log('');
  for (const f of figures) {
    console.log(
      JSON.stringify({
        case: f.case,
        figure: f.metric,
        unit: f.unit,
        median: median(f.values),
        min: Math.min(...f.values),
        max: Math.max(...f.values),
        runs: f.values,
      }),
    );
  }
}

await main();
