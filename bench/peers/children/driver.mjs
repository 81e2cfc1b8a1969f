// What every system's benchmark child does, whatever the queue: the parent
// (bench/peer-suite.ts) forks `<system>.mjs`, which hands its adapter to `run()`.
//
// argv[2]: JSON config. Two roles:
// - produce { jobs, mode: 'bulk' | 'one-by-one', gapMs, payloadBytes }: add the jobs (bulk: in
//   chunks of 10,000), send `added { ms, bytes }` and exit.
// - consume { concurrency, handler: 'noop' | 'sleep', sleepMs, warmup, expect, total, latency }:
//   send `ready`; `warm` once `warmup` jobs completed (CPU is measured from there); `done` once
//   `expect` jobs completed (-1: the parent polls `report { completed, startedAt, lastAt }`
//   instead, for several consumers);
//   on `close`, close the consumer, send `tally` (handler runs per job) and exit.
//
// Every job carries its index (`pageIndex`, 0 ... total-1) as its id for the exactly-once
// check: the handler counts its runs by index, whatever id the queue gave the job.

// The parent (the benchmark) is gone: do not outlive it.
process.on('disconnect', () => process.exit(1));

// Tagged with the pid, as the shared harness (test/support/pool-processes.ts) expects.
const send = (m) => process.send?.({ ...m, pid: process.pid });
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** About `payloadBytes` of JSON, like a page job: a title, an outline, an index. */
export function payload(i, payloadBytes) {
  return {
    ebookId: '1704123456789-abc123',
    pageIndex: i,
    title: 'Honey bees',
    outline: 'x'.repeat(Math.max(0, payloadBytes - 80)),
  };
}

/** `{ host, port }` of a `redis://host:port` URL, for the clients that take options. */
export function hostPort(url) {
  const u = new URL(url);
  return { host: u.hostname, port: Number(u.port || 6379) };
}

/**
 * adapter: {
 *   producer(config) -> Promise<{ addBulk(datas), add(data), close() }>,
 *   consumer(config, handler(data) -> Promise, events: { completed(), failed(error) })
 *     -> Promise<{ close() }>   (resolves once it is ready to take jobs)
 * }
 */
export async function run(adapter) {
  const config = JSON.parse(process.argv[2]);
  if (config.role === 'produce') await produce(adapter, config);
  else await consume(adapter, config);
}

async function produce(adapter, config) {
  const producer = await adapter.producer(config);
  const first = config.first ?? 0;
  const started = now();
  if (config.mode === 'bulk') {
    const chunk = 10_000;
    for (let i = 0; i < config.jobs; i += chunk) {
      const n = Math.min(chunk, config.jobs - i);
      await producer.addBulk(
        Array.from({ length: n }, (_, k) => payload(first + i + k, config.payloadBytes)),
      );
    }
  } else {
    for (let i = 0; i < config.jobs; i++) {
      await producer.add({ ...payload(first + i, config.payloadBytes), sentAt: now() });
      await sleep(config.gapMs);
    }
  }
  send({
    type: 'added',
    ms: now() - started,
    bytes: JSON.stringify(payload(0, config.payloadBytes)).length,
  });
  await producer.close();
  process.exit(0);
}

async function consume(adapter, config) {
  const runs = new Uint16Array(config.total);
  const latencies = [];
  const warmup = config.warmup ?? 0;
  let completed = 0;
  let lastAt = 0;
  let warmAt = 0;
  let startedAt = 0;
  let cpuStart = process.cpuUsage();
  let slept = 0;
  let sleeps = 0;
  let failures = 0;

  async function handler(data) {
    if (!startedAt) startedAt = now();
    if (config.latency) latencies.push(now() - data.sentAt);
    const i = data.pageIndex;
    if (Number.isInteger(i) && i >= 0 && i < runs.length) runs[i]++;
    else failures++; // not a job of this case: counted as a failure of the run
    if (config.handler === 'sleep') {
      const t = now();
      await sleep(config.sleepMs);
      slept += now() - t;
      sleeps++;
    }
    return null;
  }

  function onCompleted() {
    completed++;
    lastAt = now();
    if (warmup > 0 && completed === warmup) {
      warmAt = lastAt;
      cpuStart = process.cpuUsage();
      slept = 0;
      sleeps = 0;
      send({ type: 'warm', at: warmAt });
    }
    if (completed === config.expect) {
      const cpu = process.cpuUsage(cpuStart);
      send({
        type: 'done',
        firstAt: warmAt,
        lastAt,
        cpuUs: cpu.user + cpu.system,
        latencies: config.latency ? latencies : undefined,
        sleptMs: sleeps > 0 ? slept / sleeps : undefined,
      });
    }
  }

  function onFailed(error) {
    failures++;
    console.error(`[${config.system}] ${error?.stack ?? error}`);
  }

  const consumer = await adapter.consumer(config, handler, {
    completed: onCompleted,
    failed: onFailed,
  });
  process.on('message', async (m) => {
    if (m === 'report') send({ type: 'report', completed, startedAt, lastAt, failures });
    if (m === 'close') {
      await consumer.close();
      // Exit once the tally has gone out.
      process.send(
        {
          type: 'tally',
          pid: process.pid,
          completed,
          failures,
          runs: Buffer.from(runs.buffer).toString('base64'),
        },
        () => process.exit(0),
      );
    }
  });
  send({ type: 'ready' });
}
