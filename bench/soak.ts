/**
 * Chaos soak: `npm run build && npm run bench:soak` (not part of `npm test`).
 *
 * Adds N jobs to a queue on a redis-server of its own (AOF on, `appendfsync
 * always`) while 3 pool processes work them, and meanwhile: kills a pool with
 * SIGKILL and starts a new one at random intervals, kills every client
 * connection now and then (CLIENT KILL), freezes a pool (SIGSTOP) for twice its
 * lease so its late reports must be refused, and restarts Redis twice (once with
 * SHUTDOWN, once with SIGKILL). Bounded in time. At the end it checks every
 * job and prints what happened:
 *
 *   jobs added / completed / failed / lost / run twice / stale reports refused
 *
 * and exits non-zero if a job was lost, left unfinished, or accepted twice.
 *
 *   npx tsx --tsconfig tsconfig.run.json bench/soak.ts --jobs 10000 --timeout 600
 */
import { randomInt } from 'node:crypto';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { Queue } from 'redis-worker-pool';
import { startPoolProcess, type PoolProcess } from '../test/support/pool-processes.js';
import { startRedisServer, type RedisServer } from '../test/support/redis-server.js';
// The key layout, by path: the bench runs the built package, whose Queue does not expose its keys.
import { queueKeys } from '../src/redis/keys.js';

const { values: args } = parseArgs({
  options: {
    jobs: { type: 'string', default: '10000' },
    timeout: { type: 'string', default: '900' },
    pools: { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '8' },
    lease: { type: 'string', default: '3000' },
  },
});
const JOBS = Number(args.jobs);
const DEADLINE = Date.now() + Number(args.timeout) * 1000;
const POOLS = Number(args.pools);
const CONCURRENCY = Number(args.concurrency);
const LEASE = Number(args.lease);
const PREFIX = 'soak';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const log = (line: string) =>
  console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(6)}s] ${line}`);
const started = Date.now();

const tally = new Map<string, number>();
const accepted = new Map<string, number>();
const retries = new Map<string, number>();
const count = (type: string) => tally.set(type, (tally.get(type) ?? 0) + 1);

let redis: RedisServer;
const workers = new Set<PoolProcess>();

// The pool fixture of the fault tests, with the soak's settings: short waits and a
// jittered backoff, so retries and take-overs happen often.
async function startWorker(url: string): Promise<PoolProcess> {
  const worker = await startPoolProcess(
    {
      url,
      prefix: PREFIX,
      queue: 'soak',
      concurrency: CONCURRENCY,
      leaseDuration: LEASE,
      pollInterval: 500,
      gracePeriod: 2000,
      backoff: { delay: 100, jitter: 0.5 },
    },
    {
      onMessage(m) {
        if (m.type === 'ready' || m.type === 'started') return;
        count(m.type);
        if (m.type === 'completed' && m.jobId)
          accepted.set(m.jobId, (accepted.get(m.jobId) ?? 0) + 1);
        if (m.type === 'retrying' && m.jobId) retries.set(m.jobId, (retries.get(m.jobId) ?? 0) + 1);
      },
    },
  );
  workers.add(worker);
  void worker.exited.then(() => workers.delete(worker));
  return worker;
}

async function main(): Promise<number> {
  redis = await startRedisServer({ args: ['--appendonly', 'yes', '--appendfsync', 'always'] });
  const url = redis.url;
  log(`redis-server pid ${redis.pid} on port ${redis.port}, appendonly yes, appendfsync always`);
  const queue = new Queue('soak', {
    connection: url,
    prefix: PREFIX,
    logger: false,
    // Keep every finished job, to check each one at the end.
    defaultJobOptions: { removeOnComplete: false, removeOnFail: false, attempts: 20 },
  });
  const admin = new Redis(url, { maxRetriesPerRequest: null });
  admin.on('error', () => {});

  for (let i = 0; i < POOLS; i++) await startWorker(url);
  log(`${POOLS} pools of ${CONCURRENCY} workers, lease ${LEASE} ms; adding ${JOBS} jobs`);

  const ids: string[] = [];
  let addRetries = 0;
  const producer = (async () => {
    for (let i = 0; i < JOBS; i += 100) {
      const chunk = Array.from({ length: Math.min(100, JOBS - i) }, () => {
        const ms = 20 + randomInt(100);
        // A few jobs fail their first attempt, so retries go through the chaos too.
        const flaky = randomInt(50) === 0;
        return {
          name: 'work',
          data: flaky ? { ms, plan: [{ ms, fail: 'flaky upstream' }] } : { ms },
        };
      });
      for (;;) {
        try {
          ids.push(...(await queue.addBulk(chunk)).map((j) => j.id));
          break;
        } catch {
          addRetries++;
          await sleep(200);
        }
      }
      await sleep(20);
    }
  })();

  let poolKills = 0;
  let connectionKills = 0;
  let freezes = 0;
  const restarts: string[] = [];
  let lastRestart = 0;
  let done = false;
  const finished = async () => {
    const c = await queue.getCounts();
    const idle = c.waiting + c.delayed + c.active === 0;
    return { c, all: ids.length === JOBS && idle && restarts.length === 2 };
  };

  // The chaos, until every job is done or time is up.
  const chaos = (async () => {
    let nextPoolKill = Date.now() + 1000 + randomInt(3000);
    let nextConnKill = Date.now() + 500 + randomInt(1500);
    let nextFreeze = Date.now() + 2000 + randomInt(3000);
    while (!done && Date.now() < DEADLINE) {
      await sleep(100);
      const { c } = await finished().catch(() => ({ c: undefined }));
      const progress = c ? (c.completed + c.failed) / JOBS : 0;
      // Two restarts whatever the pace: at a quarter of the work (or after 5 s), then at 60% (or
      // 5 s later); the soak does not end before both happened.
      if (restarts.length === 0 && (progress >= 0.25 || Date.now() - started > 5000)) {
        log('restarting Redis (SHUTDOWN, then start on the same port)');
        await redis.restart();
        restarts.push('shutdown');
        lastRestart = Date.now();
      } else if (
        restarts.length === 1 &&
        Date.now() - lastRestart > 3000 &&
        (progress >= 0.6 || Date.now() - lastRestart > 5000)
      ) {
        log('restarting Redis (SIGKILL, then start on the same port)');
        await redis.kill();
        await sleep(500);
        await redis.restart();
        restarts.push('sigkill');
      }
      if (Date.now() >= nextPoolKill && workers.size > 0) {
        const victim = [...workers][randomInt(workers.size)]!;
        await victim.kill();
        poolKills++;
        await sleep(randomInt(1000));
        await startWorker(url);
        nextPoolKill = Date.now() + 1000 + randomInt(4000);
      }
      // Freeze a pool (SIGSTOP) past its lease, then let it go on: its jobs are taken over
      // meanwhile, and what it reports when it wakes up must be refused.
      if (Date.now() >= nextFreeze && workers.size > 0) {
        const victim = [...workers][randomInt(workers.size)]!;
        victim.child.kill('SIGSTOP');
        freezes++;
        setTimeout(() => victim.child.kill('SIGCONT'), LEASE * 2);
        nextFreeze = Date.now() + LEASE * 2 + 2000 + randomInt(4000);
      }
      if (Date.now() >= nextConnKill) {
        connectionKills += Number(
          await admin.call('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes').catch(() => 0),
        );
        nextConnKill = Date.now() + 500 + randomInt(2500);
      }
    }
  })();

  let lastReport = 0;
  for (;;) {
    const { c, all } = await finished().catch(() => ({ c: undefined, all: false }));
    if (all) break;
    if (Date.now() > DEADLINE) {
      log('time is up');
      break;
    }
    if (c && Date.now() - lastReport > 5000) {
      lastReport = Date.now();
      log(
        `added ${ids.length}, completed ${c.completed}, failed ${c.failed}, active ${c.active}, ` +
          `waiting ${c.waiting}, delayed ${c.delayed}; pool kills ${poolKills}, connections killed ${connectionKills}`,
      );
    }
    await sleep(250);
  }
  done = true;
  await chaos;
  await producer.catch(() => {});

  // Let the pools go, then look at every job.
  await Promise.all([...workers].map((w) => w.kill()));
  const counts = await queue.getCounts();
  const inRedis = Number(await admin.hget(queueKeys(PREFIX, queue.name).meta, 'seq'));
  const runs = await admin.hgetall(`${PREFIX}:runs`);
  let lost = 0;
  let unfinished = 0;
  for (let i = 0; i < ids.length; i += 500) {
    const infos = await Promise.all(ids.slice(i, i + 500).map((id) => queue.getJob(id)));
    for (const info of infos) {
      if (!info) lost++;
      else if (info.state !== 'completed' && info.state !== 'failed') unfinished++;
    }
  }
  const runCounts = Object.values(runs).map(Number);
  const ranTwice = runCounts.filter((n) => n > 1).length;
  // Runs beyond one per attempt the job was meant to have (1 + its reported retries): the price
  // of at-least-once, paid after a crash, a lost lease or a report lost with its connection.
  const extraRuns = Object.entries(runs).filter(
    ([id, n]) => Number(n) > 1 + (retries.get(id) ?? 0),
  ).length;
  const acceptedTwice = [...accepted.values()].filter((n) => n > 1).length;
  const seconds = (Date.now() - started) / 1000;

  const figures = {
    'jobs added': ids.length,
    'jobs in Redis (+ extra from resent adds)': `${inRedis} (+${inRedis - ids.length})`,
    completed: counts.completed,
    failed: counts.failed,
    lost,
    'left unfinished': unfinished + (JOBS - ids.length),
    'run more than once': ranTwice,
    'run more than once, not as a planned retry': extraRuns,
    executions: runCounts.reduce((a, b) => a + b, 0),
    'stale reports refused (leaseLost)': tally.get('leaseLost') ?? 0,
    'stalled jobs reclaimed': tally.get('stalled') ?? 0,
    'results accepted twice': acceptedTwice,
    'retried attempts': tally.get('retrying') ?? 0,
    'pool processes killed': poolKills,
    'pool processes frozen past their lease': freezes,
    'Redis restarts': restarts.join(', ') || 'none',
    'client connections killed': connectionKills,
    'add() retried by the producer': addRetries,
    'wall time': `${seconds.toFixed(1)} s`,
  };
  console.log('\nChaos soak');
  for (const [name, value] of Object.entries(figures)) console.log(`  ${name.padEnd(44)} ${value}`);
  console.log(JSON.stringify({ soak: figures }));

  admin.disconnect();
  await queue.close();
  const ok = lost === 0 && unfinished === 0 && acceptedTwice === 0 && ids.length === JOBS;
  console.log(ok ? '\nOK: nothing lost, nothing stuck, one accepted result per job.' : '\nFAILED');
  return ok ? 0 : 1;
}

main()
  .then(
    (code) => (process.exitCode = code),
    (error: unknown) => {
      console.error(error);
      process.exitCode = 2;
    },
  )
  .finally(async () => {
    await Promise.all([...workers].map((w) => w.kill()));
    await redis?.stop();
  });
