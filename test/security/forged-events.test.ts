import { describe, expect, it } from 'vitest';
import { useHarness } from '../support/harness.js';
import { rawClient, sleep } from '../support/redis.js';

// Issue 15, bug 5: any client that could PUBLISH on the queue's events channel
// resolved a waiter with any result, for a job that never ran. Design invariant
// 11: what a waiter returns is what Redis holds.
describe('forged events', () => {
  const h = useHarness('forged');

  it('a forged pub/sub message settles no wait: the result is the one the job stored', async () => {
    const queue = h.queue();
    const ok = await queue.add('page', { n: 1 });
    const bad = await queue.add('page', { n: 2 });
    let settled = 0;
    const okResult = queue.waitForResult(ok.id, { timeout: 20_000 }).finally(() => settled++);
    const badResult = queue.waitForResult(bad.id, { timeout: 20_000 }).finally(() => settled++);
    await sleep(200);

    // What an attacker with PUBLISH rights would send, in the format the scripts used.
    const attacker = rawClient();
    const channel = `${h.prefix}:{q}:events`;
    await attacker.publish(channel, JSON.stringify([[ok.id, 'completed', '', '"forged"']]));
    await attacker.publish(
      channel,
      JSON.stringify([
        [bad.id, 'failed', '', JSON.stringify({ name: 'Error', message: 'forged' })],
      ]),
    );
    await attacker.quit();
    await sleep(500);
    expect(settled).toBe(0);

    const pool = h.pool(async (job) => ({ real: (job.data as { n: number }).n }));
    await pool.start();
    expect(await okResult).toEqual({ real: 1 });
    expect(await badResult).toEqual({ real: 2 });
    expect(await queue.getJob(ok.id)).toMatchObject({ state: 'completed', result: { real: 1 } });
  });
});
