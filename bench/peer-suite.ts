/**
 * `npm run bench -- --peers`: the same cases on this library, BullMQ and
 * Bee-Queue, side by side against one redis-server, and the ratios of this
 * library's medians to each peer's from the same run.
 *
 * Each system runs in child processes of its own (bench/peers/children), in
 * turn within every case and run (A B C, A B C, ...), so the machine's drift
 * hits all alike. Settings are equal: completed jobs removed, one attempt,
 * 200-byte payloads, a completion listener in the worker process, FLUSHDB
 * between cases. After every drain the handler runs are counted by job: a job
 * that ran twice or never fails the run.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  NAMES,
  printPeerReport,
  recorder,
  SYSTEMS,
  type Peer,
  type PeerFigure,
  type System,
} from './peer-report.js';
import {
  exited,
  percentile,
  spawnChild,
  type Child,
  type Message,
  type RedisProbe,
} from './support.js';

const peersDir = join(import.meta.dirname, 'peers');
const childrenDir = join(peersDir, 'children');
/** A drain that completes no job for this long has lost some: stop and count. */
const STALL_MS = 30_000;
const PAYLOAD_BYTES = 200;

export interface PeerSuiteOptions {
  url: string;
  probe: RedisProbe;
  runs: number;
  /** No-op jobs measured per drain (after `warmup`). */
  jobs: number;
  warmup: number;
  only?: Set<string>;
}

/** The installed version of each peer; runs `npm ci` in bench/peers when one is missing or differs. */
export function installPeers(): Record<Peer, string> {
  const pinned = (
    JSON.parse(readFileSync(join(peersDir, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    }
  ).dependencies;
  const installed = (name: string): string | undefined => {
    const file = join(peersDir, 'node_modules', name, 'package.json');
    return existsSync(file)
      ? (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version
      : undefined;
  };
  if (Object.entries(pinned).some(([name, version]) => installed(name) !== version)) {
    console.log('# installing the peers: npm ci --prefix bench/peers');
    execFileSync('npm', ['ci', '--prefix', peersDir, '--no-audit', '--no-fund'], {
      stdio: 'inherit',
    });
  }
  return { bullmq: installed('bullmq')!, 'bee-queue': installed('bee-queue')! };
}

export async function runPeerSuite(o: PeerSuiteOptions): Promise<{ failures: string[] }> {
  const versions = installPeers();
  const figures: PeerFigure[] = [];
  const failures: string[] = [];
  let prefixCounter = 0;

  const record = recorder(figures);

  const script = (system: System) => join(childrenDir, `${system}.mjs`);

  async function produce(system: System, prefix: string, jobs: number): Promise<{ rate: number }> {
    const producer = spawnChild(script(system), {
      role: 'produce',
      system,
      url: o.url,
      prefix,
      queue: 'q',
      jobs,
      mode: 'bulk',
      payloadBytes: PAYLOAD_BYTES,
    });
    const added = await producer.next('added');
    await exited(producer);
    return { rate: jobs / ((added.ms as number) / 1000) };
  }

  interface ConsumerConfig {
    concurrency: number;
    handler: 'noop' | 'sleep';
    sleepMs?: number;
    warmup: number;
    /** Completions that end the drain in one consumer; -1 when several share it. */
    expect: number;
    /** Jobs of the case, the ids 0 ... total-1. */
    total: number;
    latency?: boolean;
  }

  function startConsumers(system: System, prefix: string, n: number, c: ConsumerConfig): Child[] {
    return Array.from({ length: n }, () =>
      spawnChild(script(system), {
        role: 'consume',
        system,
        url: o.url,
        prefix,
        queue: 'q',
        payloadBytes: PAYLOAD_BYTES,
        ...c,
      }),
    );
  }

  /**
   * Wait until `total` jobs completed: from one consumer's `done`, or by polling
   * several for their counts. A consumer that completes nothing for STALL_MS ends
   * the wait (the exactly-once count then names what is missing).
   */
  async function waitCompleted(
    consumers: Child[],
    total: number,
  ): Promise<{ done?: Message; startedAt: number; lastAt: number; stalled: boolean }> {
    const single = consumers.length === 1;
    let done: Message | undefined;
    let doneError: unknown;
    const donePromise = single
      ? consumers[0]!.next('done').then(
          (m) => (done = m),
          (e: unknown) => (doneError = e),
        )
      : undefined;
    let last = -1;
    let lastChange = Date.now();
    for (;;) {
      await Promise.race([donePromise, sleep(single ? 250 : 5)]);
      if (doneError) throw doneError;
      if (done) return { done, startedAt: NaN, lastAt: done.lastAt as number, stalled: false };
      const reports = await Promise.all(
        consumers.map((c) => {
          const report = c.next('report');
          c.child.send('report');
          return report;
        }),
      );
      const completed = reports.reduce((n, r) => n + (r.completed as number), 0);
      if (!single && completed >= total) {
        return {
          // A consumer may start on the jobs before telling it is ready.
          startedAt: Math.min(...reports.map((r) => (r.startedAt as number) || Infinity)),
          lastAt: Math.max(...reports.map((r) => r.lastAt as number)),
          stalled: false,
        };
      }
      if (completed !== last) {
        last = completed;
        lastChange = Date.now();
      } else if (Date.now() - lastChange > STALL_MS) {
        return { startedAt: NaN, lastAt: NaN, stalled: true };
      }
    }
  }

  /** Close the consumers and check that every job 0 ... total-1 ran exactly once. */
  async function closeAndCount(
    system: System,
    label: string,
    consumers: Child[],
    total: number,
  ): Promise<void> {
    const tallies = consumers.map((c) => c.next('tally'));
    for (const c of consumers) c.child.send('close');
    const messages = await Promise.all(tallies);
    await Promise.all(consumers.map(exited));
    const runs = new Uint32Array(total);
    let failed = 0;
    for (const m of messages) {
      const counts = new Uint16Array(
        new Uint8Array(Buffer.from(m.runs as string, 'base64')).buffer,
      );
      for (let i = 0; i < total; i++) runs[i]! += counts[i] ?? 0;
      failed += m.failures as number;
    }
    const missing: number[] = [];
    const duplicates: number[] = [];
    runs.forEach((n, i) => {
      if (n === 0) missing.push(i);
      else if (n > 1) duplicates.push(i);
    });
    if (missing.length || duplicates.length || failed) {
      const sample = (ids: number[]) =>
        ids.length ? ` (ids ${ids.slice(0, 10).join(', ')}${ids.length > 10 ? ', ...' : ''})` : '';
      const message =
        `${NAMES[system]}, ${label}: ${duplicates.length} jobs ran more than once${sample(duplicates)}, ` +
        `${missing.length} never ran${sample(missing)}, ${failed} failed or unknown`;
      failures.push(message);
      console.error(`\n!!! EXACTLY-ONCE CHECK FAILED: ${message}\n`);
    }
  }

  async function flush(): Promise<string> {
    await o.probe.client.flushdb();
    return `peer${++prefixCounter}`;
  }

  /** One drain of `warmup + jobs` bulk-added jobs in one consumer, measured after the warm-up. */
  async function drainOne(
    system: System,
    label: string,
    jobs: number,
    warmup: number,
    c: Pick<ConsumerConfig, 'concurrency' | 'handler' | 'sleepMs'>,
  ) {
    const prefix = await flush();
    const total = warmup + jobs;
    const added = await produce(system, prefix, total);
    const [consumer] = startConsumers(system, prefix, 1, { ...c, warmup, expect: total, total });
    await consumer!.next('ready');
    await withTimeout(consumer!.next('warm'), 120_000, `${NAMES[system]}, ${label}: the warm-up`);
    const before = await o.probe.stats();
    const end = await waitCompleted([consumer!], total);
    const after = await o.probe.stats();
    await closeAndCount(system, label, [consumer!], total);
    const done = end.done;
    return {
      addRate: added.rate,
      rate: done ? jobs / (((done.lastAt as number) - (done.firstAt as number)) / 1000) : NaN,
      commandsPerJob: (after.commands - before.commands) / jobs,
      redisCpuUsPerJob: (after.cpuUs - before.cpuUs) / jobs,
      workerCpuUsPerJob: done ? (done.cpuUs as number) / jobs : NaN,
      sleptMs: done?.sleptMs as number | undefined,
    };
  }

  const cases: Record<string, () => Promise<void>> = {
    async 'throughput-noop'() {
      for (let run = 0; run < o.runs; run++) {
        for (const concurrency of [1, 5, 50]) {
          for (const system of SYSTEMS) {
            const label = `throughput-noop c=${concurrency}, run ${run + 1}`;
            const r = await drainOne(system, label, o.jobs, o.warmup, {
              concurrency,
              handler: 'noop',
            });
            if (concurrency === 1) {
              record(system, 'throughput-noop', 'bulk-add', 'jobs/s', 'higher', r.addRate, {
                'bee-queue': 1.2,
              });
            }
            record(
              system,
              'throughput-noop',
              `c=${concurrency}`,
              'jobs/s',
              'higher',
              r.rate,
              concurrency === 50 ? { bullmq: 2.5, 'bee-queue': 1.5 } : undefined,
            );
            if (concurrency === 50) {
              const per = 'per-job';
              record(system, per, 'redis commands/job (c=50)', 'cmds', 'lower', r.commandsPerJob);
              record(system, per, 'redis CPU/job (c=50)', 'µs', 'lower', r.redisCpuUsPerJob);
              record(system, per, 'worker CPU/job (c=50)', 'µs', 'lower', r.workerCpuUsPerJob);
            }
          }
        }
      }
    },

    async 'throughput-io'() {
      for (let run = 0; run < o.runs; run++) {
        for (const concurrency of [5, 50]) {
          for (const system of SYSTEMS) {
            const label = `throughput-io c=${concurrency}, run ${run + 1}`;
            const r = await drainOne(system, label, 2000, 200, {
              concurrency,
              handler: 'sleep',
              sleepMs: 20,
            });
            const io = 'throughput-io';
            record(system, io, `c=${concurrency}`, 'jobs/s', 'higher', r.rate);
            record(
              system,
              io,
              `efficiency c=${concurrency}`,
              'ratio',
              'higher',
              r.rate / (concurrency / 0.02),
              {
                'bee-queue': 1,
              },
            );
            if (r.sleptMs) {
              const measured = concurrency / (r.sleptMs / 1000);
              record(
                system,
                io,
                `efficiency vs measured sleep c=${concurrency}`,
                'ratio',
                'higher',
                r.rate / measured,
              );
            }
          }
        }
      }
    },

    async 'pickup-latency'() {
      const jobs = 500;
      for (let run = 0; run < o.runs; run++) {
        for (const system of SYSTEMS) {
          const prefix = await flush();
          const [consumer] = startConsumers(system, prefix, 1, {
            concurrency: 5,
            handler: 'noop',
            warmup: 0,
            expect: jobs,
            total: jobs,
            latency: true,
          });
          await consumer!.next('ready');
          await sleep(200); // let it block, waiting for work
          const producer = spawnChild(script(system), {
            role: 'produce',
            system,
            url: o.url,
            prefix,
            queue: 'q',
            jobs,
            mode: 'one-by-one',
            gapMs: 5,
            payloadBytes: PAYLOAD_BYTES,
          });
          const end = await waitCompleted([consumer!], jobs);
          await exited(producer);
          await closeAndCount(system, `pickup-latency, run ${run + 1}`, [consumer!], jobs);
          const values = (end.done?.latencies as number[] | undefined) ?? [NaN];
          const goal = { 'bee-queue': 0.8 };
          record(system, 'pickup-latency', 'p50', 'ms', 'lower', percentile(values, 50), goal);
          record(system, 'pickup-latency', 'p95', 'ms', 'lower', percentile(values, 95));
          record(system, 'pickup-latency', 'p99', 'ms', 'lower', percentile(values, 99), goal);
          record(system, 'pickup-latency', 'max', 'ms', 'lower', Math.max(...values));
        }
      }
    },

    async 'multi-process'() {
      for (let run = 0; run < o.runs; run++) {
        for (const system of SYSTEMS) {
          const prefix = await flush();
          await produce(system, prefix, o.jobs);
          // Two consumers: measured from both being ready (or the first job, if earlier) to the
          // last completion (no warm-up).
          const consumers = startConsumers(system, prefix, 2, {
            concurrency: 25,
            handler: 'noop',
            warmup: 0,
            expect: -1,
            total: o.jobs,
          });
          await Promise.all(consumers.map((c) => c.next('ready')));
          const t0 = performance.timeOrigin + performance.now();
          const end = await waitCompleted(consumers, o.jobs);
          await closeAndCount(system, `multi-process, run ${run + 1}`, consumers, o.jobs);
          const start = Math.min(t0, end.startedAt);
          const rate = end.stalled ? NaN : o.jobs / ((end.lastAt - start) / 1000);
          record(system, 'multi-process', '2 processes x c=25', 'jobs/s', 'higher', rate, {
            'bee-queue': 1.3,
          });
        }
      }
    },
  };

  console.log(
    `# peers: BullMQ ${versions.bullmq}, Bee-Queue ${versions['bee-queue']}; each case runs every system in turn;` +
      ` no-op drains of ${o.jobs.toLocaleString('en-US')} jobs after ${o.warmup.toLocaleString('en-US')} warm-up jobs`,
  );
  for (const [name, run] of Object.entries(cases)) {
    if (o.only && !o.only.has(name)) continue;
    console.log(`# running ${name} (peers)...`);
    await run();
  }
  printPeerReport(figures, versions, failures);
  return { failures };
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
