import { describe, expect, it } from 'vitest';
import { RateLimitError } from '../../src/index.js';
import { useHarness } from '../support/harness.js';
import { sleep } from '../support/redis.js';

describe('rate limits', () => {
  const h = useHarness('limits');

  it('holds every pool of the queue when a handler throws RateLimitError, and retries without spending an attempt', async () => {
    const queue = h.queue();
    const starts: { id: string; at: number; attempt: number }[] = [];
    let limitedAt = 0;
    const handler = async (
      job: { id: string; data: { limited?: boolean } },
      { attempt }: { attempt: number },
    ) => {
      starts.push({ id: job.id, at: Date.now(), attempt });
      if (job.data.limited && limitedAt === 0) {
        limitedAt = Date.now();
        throw new RateLimitError(800, '429 Too Many Requests');
      }
      return attempt;
    };
    const pools = [
      h.pool(handler as never, { concurrency: 1 }),
      h.pool(handler as never, { concurrency: 1 }),
    ];
    const limited: number[] = [];
    for (const pool of pools) pool.on('rateLimited', ({ retryAfter }) => limited.push(retryAfter));
    await Promise.all(pools.map((p) => p.start()));
    const first = await queue.add('call', { limited: true });
    await sleep(100);
    const others = await queue.addBulk(
      Array.from({ length: 4 }, () => ({ name: 'call', data: {} })),
    );
    // The limited job runs again as attempt 1: the 429 did not cost it an attempt.
    expect(await queue.waitForResult(first.id, { timeout: 10_000 })).toBe(1);
    for (const job of others) await queue.waitForResult(job.id, { timeout: 10_000 });
    expect(limited).toEqual([800]);
    // No pool started anything in the 800 ms after the 429 (a lower bound: nothing early).
    const after = starts.filter((s) => s.at > limitedAt);
    expect(after.length).toBe(5);
    for (const s of after) expect(s.at - limitedAt).toBeGreaterThanOrEqual(790);
    expect(pools.reduce((n, p) => n + p.stats().rateLimited, 0)).toBe(1);
    expect((await queue.getJob(first.id))?.attempts).toBe(1);
  });

  it('shares a rate limit across pools: at most `max` jobs start in any window', async () => {
    const queue = h.queue();
    const starts: number[] = [];
    const handler = async () => {
      starts.push(Date.now());
      return 'ok';
    };
    const limiter = { max: 4, duration: 1000 };
    const pools = [1, 2, 3].map(() => h.pool(handler, { concurrency: 5, limiter }));
    await Promise.all(pools.map((p) => p.start()));
    const jobs = await queue.addBulk(
      Array.from({ length: 12 }, () => ({ name: 'call', data: {} })),
    );
    const begun = Date.now();
    for (const job of jobs) await queue.waitForResult(job.id, { timeout: 20_000 });
    starts.sort((a, b) => a - b);
    // In any 500 ms window (less a little for timer slack between processes), at most 4 starts.
    for (let i = 0; i + 4 < starts.length; i++)
      expect(starts[i + 4]! - starts[i]!).toBeGreaterThanOrEqual(480);
    // 12 jobs at 4 per 500 ms need at least two full windows.
    expect(Date.now() - begun).toBeGreaterThanOrEqual(950);
  });

  it('validates the limiter option', async () => {
    expect(() => h.pool(async () => 1, { limiter: { max: 0, duration: 1000 } })).toThrow(
      'Expected `limiter.max` to be an integer from 1 to 1000000, got `0` (number)',
    );
    expect(() => h.pool(async () => 1, { limiter: { max: 1 } as never })).toThrow(
      /limiter\.duration/,
    );
  });
});
