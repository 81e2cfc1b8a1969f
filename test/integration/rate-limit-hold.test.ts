import { describe, expect, it } from 'vitest';
import { RateLimitError, WorkerPool } from '../../src/index.js';
import { runCli } from '../support/cli.js';
import { useHarness } from '../support/harness.js';
import { redisUrl, until } from '../support/redis.js';

type Jobs = {
  page: { data: { limit?: number | 'shaped-fraction' | 'shaped-huge' }; result: string };
};

describe('rate-limit holds', () => {
  const h = useHarness('hold');

  /** A pool whose first run of each job throws what `data.limit` asks for. */
  function limitedPool(options: { maxRateLimitHold?: number } = {}) {
    const seen = new Set<string>();
    return h.pool<Jobs>(
      {
        page: async (job) => {
          const { limit } = job.data;
          if (limit !== undefined && !seen.has(job.id)) {
            seen.add(job.id);
            if (limit === 'shaped-fraction')
              // From another copy of the library, or hand-made: a fractional delay.
              throw Object.assign(new Error('429'), { code: 'ERR_RATE_LIMITED', retryAfter: 1.5 });
            if (limit === 'shaped-huge')
              throw Object.assign(new Error('429'), { code: 'ERR_RATE_LIMITED', retryAfter: 1e21 });
            throw new RateLimitError(limit, '429 Too Many Requests');
          }
          return `done ${job.id}`;
        },
      },
      { concurrency: 2, leaseDuration: 60_000, ...options },
    );
  }

  it('caps a 30-day hold at maxRateLimitHold, shows it in getCounts, and lets resume() lift it', async () => {
    const queue = h.queue<Jobs>();
    const pool = limitedPool({ maxRateLimitHold: 60_000 });
    await pool.start();
    const job = await queue.add('page', { limit: 30 * 24 * 3600 * 1000 });
    await until(async () => (await queue.getCounts()).delayed === 1, 'the job to be held back');
    const counts = await queue.getCounts();
    expect(counts.rateLimitedUntil).toBeGreaterThan(Date.now() + 50_000);
    expect(counts.rateLimitedUntil).toBeLessThan(Date.now() + 70_000);
    const info = await queue.getJob(job.id);
    expect(info?.dueAt).toBeLessThan(Date.now() + 70_000);

    // Held: a new job waits.
    const other = await queue.add('page', {});
    await new Promise((r) => setTimeout(r, 300));
    expect((await queue.getJob(other.id))?.state).toBe('waiting');

    await queue.resume();
    expect((await queue.getCounts()).rateLimitedUntil).toBeUndefined();
    expect(await queue.waitForResult(other.id, { timeout: 5_000 })).toBe(`done ${other.id}`);
  });

  it('shows the hold in `worker-pool status`, text and --json', async () => {
    const queue = h.queue<Jobs>('pages');
    const pool = h.pool<Jobs>(
      {
        page: async () => {
          throw new RateLimitError(120_000);
        },
      },
      {},
      'pages',
    );
    await pool.start();
    await queue.add('page', {});
    await until(async () => (await queue.getCounts()).rateLimitedUntil !== undefined, 'a hold');
    await pool.close();
    const args = ['--queue', 'pages', '--prefix', h.prefix, '--redis-url', redisUrl()];
    const text = await runCli(['status', ...args]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/RATE LIMITED for (1m|2m|1\d\d(\.\d)? ?s)/);
    const json = JSON.parse((await runCli(['status', '--json', ...args])).stdout);
    expect(json.rateLimitedUntil).toBeGreaterThan(json.time + 100_000);
    expect(json.counts.rateLimitedUntil).toBe(json.rateLimitedUntil);
    const resumed = await runCli(['resume', ...args]);
    expect(resumed.stdout).toContain('rate-limit hold is lifted');
    const after = JSON.parse((await runCli(['status', '--json', ...args])).stdout);
    expect(after.rateLimitedUntil).toBeNull();
  });

  it.each(['shaped-fraction', 'shaped-huge'] as const)(
    'retries a job whose rate-limit delay is %s, never calling it a lost lease',
    async (limit) => {
      const queue = h.queue<Jobs>();
      const pool = limitedPool({ maxRateLimitHold: 1000 });
      const lost: string[] = [];
      const errors: unknown[] = [];
      pool.on('leaseLost', ({ job }) => lost.push(job.id));
      pool.on('error', ({ error }) => errors.push(error));
      await pool.start();
      const job = await queue.add('page', { limit });
      expect(await queue.waitForResult(job.id, { timeout: 10_000 })).toBe(`done ${job.id}`);
      expect(lost).toEqual([]);
      expect(errors).toEqual([]);
      expect((await queue.getJob(job.id))?.attempts).toBe(1);
    },
  );

  it('refuses a bad maxRateLimitHold, naming the option', () => {
    for (const bad of [0, 1.5, '5m', -1]) {
      expect(
        () => new WorkerPool('q', async () => 'x', { maxRateLimitHold: bad as number }),
      ).toThrow(/^Expected `maxRateLimitHold` to be an integer from 1 to 2147483647, got /);
    }
  });
});
