import { afterEach, describe, expect, it, vi } from 'vitest';
import { useHarness } from '../support/harness.js';

describe('times come from the Redis clock', () => {
  const h = useHarness('clock');
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('stores processedAt in Redis time even when the pool clock is 5 minutes ahead', async () => {
    const queue = h.queue();
    const realNow = Date.now.bind(Date);
    const pool = h.pool(async () => {
      await new Promise((r) => setTimeout(r, 20));
      return 'ok';
    });
    await pool.start();
    // From here on, the pool's clock runs 5 minutes ahead of Redis.
    vi.spyOn(Date, 'now').mockImplementation(() => realNow() + 300_000);
    const job = await queue.add('page', {});
    await queue.waitForResult(job.id, { timeout: 10_000 });
    const info = await queue.getJob(job.id);
    expect(info?.state).toBe('completed');
    const running = (info?.finishedAt ?? 0) - (info?.processedAt ?? 0);
    expect(running).toBeGreaterThanOrEqual(15);
    expect(running).toBeLessThan(5_000);
  });
});
