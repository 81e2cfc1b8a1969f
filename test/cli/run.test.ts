import { afterEach, describe, expect, it } from 'vitest';
import { Queue } from '../../src/index.js';
import { fixture, runCli, startCli, type CliProcess } from '../support/cli.js';
import { redisUrl, uniquePrefix, until } from '../support/redis.js';

const started: CliProcess[] = [];
const queues: Queue[] = [];

afterEach(async () => {
  await Promise.all(started.splice(0).map((p) => p.stop('SIGKILL').catch(() => {})));
  await Promise.all(queues.splice(0).map((q) => q.close()));
});

function queueFor(prefix: string, name = 'pages'): Queue {
  const queue = new Queue(name, { connection: redisUrl(), prefix, logger: false });
  queues.push(queue);
  return queue;
}

/** `worker-pool run` on the test Redis under `prefix`, ready once its workers started. */
async function startPool(
  prefix: string,
  extra: readonly string[] = [],
  { handler = 'handlers.mjs', env = {} }: { handler?: string; env?: Record<string, string> } = {},
): Promise<CliProcess> {
  const pool = startCli(
    ['run', '--handler', fixture(handler), '--prefix', prefix, '--stats-interval', '0', ...extra],
    { env: { REDIS_URL: redisUrl(), PROCESSING_DELAY: '0', ...env } },
  );
  started.push(pool);
  await pool.waitForOutput(/Press Ctrl\+C to stop\./, 30_000);
  return pool;
}

describe('worker-pool run', () => {
  it('runs the jobs of the queue with an ESM module of named handlers, logging like the original', async () => {
    const prefix = uniquePrefix('cli-run');
    const queue = queueFor(prefix);
    const pool = await startPool(prefix, ['--concurrency', '3']);
    const jobs = await queue.addBulk([
      { name: 'page', data: { ms: 20 } },
      { name: 'page', data: { ms: 20 } },
      { name: 'cover', data: {} },
    ]);
    const results = await Promise.all(
      jobs.map((job) => queue.waitForResult(job.id, { timeout: 20_000 })),
    );
    expect(results[0]).toMatchObject({ text: `page ${jobs[0]!.id}` });
    expect(results[2]).toEqual({ url: `https://example.com/${jobs[2]!.id}.png` });
    const { code, stdout } = await pool.stop('SIGTERM');
    expect(code).toBe(0);
    expect(stdout).toContain('[Worker Pool] Handlers from');
    expect(stdout).toContain(': cover, page'); // MODEL, a constant, is not a handler
    expect(stdout).toContain('[Worker Pool] Initializing with 3 workers...');
    expect(stdout).toContain('[Worker Pool] Redis connection successful.');
    expect(stdout).toMatch(/\[Worker-1\] Started\n\[Worker-2\] Started\n\[Worker-3\] Started/);
    expect(stdout).toContain('[Worker Pool] All 3 workers started.');
    expect(stdout).toMatch(/\[Worker-\d\] Processing job: ID=\d+, Name=page \(Attempt 1\/4\)/);
    expect(stdout).toContain('[Worker Pool] SIGTERM received: stopping.');
    expect(stdout).toContain('[Worker Pool] Closed.');
  });

  it('loads CommonJS handlers (module.exports) and a default export that handles every name', async () => {
    const prefix = uniquePrefix('cli-cjs');
    const queue = queueFor(prefix);
    const cjs = await startPool(prefix, [], { handler: 'handlers.cjs' });
    const a = await queue.add('page', {});
    expect(await queue.waitForResult(a.id, { timeout: 20_000 })).toEqual({
      text: `cjs page ${a.id}`,
    });
    expect((await cjs.stop('SIGINT')).code).toBe(0);

    const all = await startPool(prefix, [], { handler: 'default-handler.mjs' });
    expect(all.stdout()).toContain('one function for every job name');
    const b = await queue.add('anything', {});
    expect(await queue.waitForResult(b.id, { timeout: 20_000 })).toEqual({
      handledBy: 'default',
      name: 'anything',
    });
    expect((await all.stop('SIGTERM')).code).toBe(0);
  });

  it('takes its settings from the environment variables, and flags override them', async () => {
    const prefix = uniquePrefix('cli-env');
    const env = {
      CONCURRENT_WORKERS: '2',
      GENERATION_TIMEOUT: '45000',
      MAX_RETRIES: '1',
      POLL_INTERVAL: '500',
      MAX_RATE_LIMIT_HOLD: '60000',
    };
    const fromEnv = await startPool(prefix, [], { env });
    expect(fromEnv.stdout()).toContain(
      "Config: { queue: 'pages', concurrency: 2, processingDelay: 0, timeout: 45000, pollInterval: 500, attempts: 2,",
    );
    expect(fromEnv.stdout()).toContain('maxRateLimitHold: 60000,');
    expect((await fromEnv.stop()).code).toBe(0);
    const overridden = await startPool(
      prefix,
      [
        ...['--concurrency', '4', '--timeout', '1000', '--max-retries', '0', '--queue', 'covers'],
        ...['--max-rate-limit-hold', '2500'],
      ],
      { env },
    );
    expect(overridden.stdout()).toContain(
      "Config: { queue: 'covers', concurrency: 4, processingDelay: 0, timeout: 1000, pollInterval: 500, attempts: 1,",
    );
    expect(overridden.stdout()).toContain('maxRateLimitHold: 2500,');
    expect((await overridden.stop()).code).toBe(0);
  });

  it('runs an adaptive pool with --max-workers or MAX_WORKERS', async () => {
    const prefix = uniquePrefix('cli-adaptive');
    const fromFlag = await startPool(prefix, ['--max-workers', '12']);
    expect(fromFlag.stdout()).toContain('Initializing with 1-12 (adaptive) workers...');
    expect(fromFlag.stdout()).toContain('concurrency: { min: 1, max: 12 }');
    expect((await fromFlag.stop()).code).toBe(0);
    const fromEnv = await startPool(prefix, [], { env: { MAX_WORKERS: '6' } });
    expect(fromEnv.stdout()).toContain('concurrency: { min: 1, max: 6 }');
    expect((await fromEnv.stop()).code).toBe(0);
  });

  it('builds the limiter from --rpm and RATE_LIMIT_TPM: a job over the tokens per minute fails at once', async () => {
    const prefix = uniquePrefix('cli-tpm');
    const queue = queueFor(prefix);
    const pool = await startPool(prefix, ['--rpm', '60'], { env: { RATE_LIMIT_TPM: '1000' } });
    expect(pool.stdout()).toContain('limiter: [60 jobs/60000 ms, 1000 cost/60000 ms], ');
    const fits = await queue.add('page', {}, { cost: 900 });
    expect(await queue.waitForResult(fits.id, { timeout: 20_000 })).toMatchObject({
      text: `page ${fits.id}`,
    });
    const over = await queue.add('page', {}, { cost: 1001 });
    await expect(queue.waitForResult(over.id, { timeout: 20_000 })).rejects.toThrow(/1001 units/);
    expect((await queue.getJob(over.id))?.error?.code).toBe('ERR_COST_OVER_LIMIT');
    expect((await pool.stop()).code).toBe(0);
  });

  it('on SIGTERM lets running jobs finish, exits 0, and leaves no job active or failed', async () => {
    const prefix = uniquePrefix('cli-term');
    const queue = queueFor(prefix);
    const pool = await startPool(prefix, ['--concurrency', '2']);
    await queue.addBulk(Array.from({ length: 5 }, () => ({ name: 'page', data: { ms: 2000 } })));
    await pool.waitForOutput(/Processing job[^\n]*\n[^]*Processing job/);
    const { code, stdout } = await pool.stop('SIGTERM');
    expect(code).toBe(0);
    // Both slots were busy when the signal was sent; on a slow machine one may have finished since.
    expect(stdout).toMatch(
      /\[Worker Pool\] Closing: waiting up to 10\.0s for [12] running jobs\.\.\./,
    );
    const counts = await queue.getCounts();
    expect(counts).toMatchObject({ active: 0, failed: 0 });
    expect(counts.completed).toBeGreaterThanOrEqual(2);
    expect(counts.completed + counts.waiting).toBe(5);
  });

  it('on SIGTERM past --grace-period hands running jobs back to the queue, attempts unspent', async () => {
    const prefix = uniquePrefix('cli-grace');
    const queue = queueFor(prefix);
    const pool = await startPool(prefix, ['--concurrency', '2', '--grace-period', '200']);
    const jobs = await queue.addBulk([
      { name: 'page', data: { ms: 60_000 } },
      { name: 'page', data: { ms: 60_000 } },
    ]);
    await until(async () => (await queue.getCounts()).active === 2, 'both jobs running', 20_000);
    const { code } = await pool.stop('SIGTERM');
    expect(code).toBe(0);
    expect(await queue.getCounts()).toMatchObject({ waiting: 2, active: 0, failed: 0 });
    for (const job of jobs) expect((await queue.getJob(job.id))?.attempts).toBe(0);
  });

  it('exits 1 naming the file when the handler module does not exist', async () => {
    const { code, stderr } = await runCli([
      'run',
      '--handler',
      './no/such/handlers.js',
      '--redis-url',
      redisUrl(),
    ]);
    expect(code).toBe(1);
    expect(stderr).toContain('worker-pool: Handler module not found: ./no/such/handlers.js');
    expect(stderr).toContain('Export one function per job name');
  });

  it('exits 1 with the cause when the handler module cannot be loaded or exports no function', async () => {
    const broken = await runCli(['run', '--handler', fixture('broken-handler.mjs')]);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain('Could not load handler module');
    expect(broken.stderr).toContain("Cannot find package 'a-package-that-is-not-installed'");
    expect(broken.stderr).toContain('A module it imports is missing');
    const empty = await runCli(['run', '--handler', fixture('no-handlers.mjs')]);
    expect(empty.code).toBe(1);
    expect(empty.stderr).toContain('exports no functions');
  });

  it('exits 1 with a clear message, never the password, when Redis is unreachable', async () => {
    const { code, stdout, stderr } = await runCli(
      ['run', '--handler', fixture('handlers.mjs'), '--prefix', uniquePrefix('cli-down')],
      { env: { REDIS_URL: 'redis://worker:hunter2@127.0.0.1:1' } },
    );
    expect(code).toBe(1);
    expect(stderr).toContain('worker-pool: Could not connect to Redis at 127.0.0.1:1:');
    expect(stderr).toContain('The URL came from REDIS_URL.');
    expect(stdout + stderr).not.toContain('hunter2');
  });
});
