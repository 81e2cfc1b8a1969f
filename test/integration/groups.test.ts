import { describe, expect, it } from 'vitest';
import { RateLimitError } from '../../src/index.js';
import { useHarness } from '../support/harness.js';
import { rawClient, sleep, until } from '../support/redis.js';

type Start = { id: string; group: string | undefined; at: number };

/** Every key of the test's prefix that belongs to a group (see includes/groups.lua). */
async function groupKeys(prefix: string): Promise<string[]> {
  const redis = rawClient();
  try {
    const keys = await redis.keys(`${prefix}:*`);
    return keys.filter((k) => /:(gh|gw|gl):|:groups/.test(k)).sort();
  } finally {
    await redis.quit();
  }
}

describe('groups', () => {
  const h = useHarness('groups');

  it('serves groups with work in turns: a group that adds 5 jobs behind 200 of another starts them within a few rounds', async () => {
    const queue = h.queue();
    const starts: Start[] = [];
    const pool = h.pool(
      async (job) => {
        starts.push({ id: job.id, group: job.group, at: Date.now() });
        await sleep(10);
        return job.group;
      },
      { concurrency: 2 },
    );
    const a = await queue.addBulk(
      Array.from({ length: 200 }, (_, i) => ({ name: 'page', data: { i }, opts: { group: 'A' } })),
    );
    const b = await queue.addBulk(
      Array.from({ length: 5 }, (_, i) => ({ name: 'page', data: { i }, opts: { group: 'B' } })),
    );
    expect(b[0]?.group).toBe('B');
    await pool.start();
    for (const job of b) expect(await queue.waitForResult(job.id, { timeout: 10_000 })).toBe('B');
    const lastOfB = Math.max(...b.map((job) => starts.findIndex((s) => s.id === job.id)));
    // Round robin: B's 5 jobs are among the first ~10 starts, not after A's 200.
    expect(lastOfB).toBeLessThan(14);
    await queue.waitForResult(a.at(-1)!.id, { timeout: 20_000 });
    // Within a group, the order they were added.
    const order = (group: string) => starts.filter((s) => s.group === group).map((s) => s.id);
    expect(order('A')).toEqual(a.map((job) => job.id));
    expect(order('B')).toEqual(b.map((job) => job.id));
    expect((await queue.getJob(b[0]!.id))?.group).toBe('B');
  });

  it('gives the jobs with no group turns of their own among the groups', async () => {
    const queue = h.queue();
    const starts: Start[] = [];
    const pool = h.pool(
      async (job) => {
        starts.push({ id: job.id, group: job.group, at: Date.now() });
        return 'ok';
      },
      { concurrency: 1 },
    );
    const plain = await queue.addBulk(
      Array.from({ length: 30 }, (_, i) => ({ name: 'page', data: { i } })),
    );
    const grouped = await queue.addBulk(
      Array.from({ length: 3 }, (_, i) => ({ name: 'page', data: { i }, opts: { group: 'G' } })),
    );
    expect((await queue.getCounts()).waiting).toBe(33);
    await pool.start();
    for (const job of grouped) await queue.waitForResult(job.id, { timeout: 10_000 });
    const lastOfG = Math.max(...grouped.map((job) => starts.findIndex((s) => s.id === job.id)));
    expect(lastOfG).toBeLessThan(8);
    await queue.waitForResult(plain.at(-1)!.id, { timeout: 10_000 });
    expect(starts.filter((s) => !s.group).map((s) => s.id)).toEqual(plain.map((j) => j.id));
  });

  it('holds `group.concurrency` across pools: other groups go on while one is at its limit', async () => {
    const queue = h.queue();
    const active = new Map<string, number>();
    const peak = new Map<string, number>();
    const handler = async (job: { group?: string }) => {
      const g = job.group ?? '';
      active.set(g, (active.get(g) ?? 0) + 1);
      peak.set(g, Math.max(peak.get(g) ?? 0, active.get(g)!));
      await sleep(40);
      active.set(g, active.get(g)! - 1);
      return g;
    };
    const pools = [1, 2].map(() =>
      h.pool(handler as never, { concurrency: 4, group: { concurrency: 2 } }),
    );
    await Promise.all(pools.map((p) => p.start()));
    const jobs = await queue.addBulk(
      ['A', 'B', 'C'].flatMap((group) =>
        Array.from({ length: 12 }, () => ({ name: 'page', data: {}, opts: { group } })),
      ),
    );
    for (const job of jobs) await queue.waitForResult(job.id, { timeout: 20_000 });
    expect(peak.get('A')).toBe(2);
    expect(peak.get('B')).toBe(2);
    expect(peak.get('C')).toBe(2);
    // The slots of a group come back as its jobs finish; then its state goes away.
    for (const group of ['A', 'B', 'C']) {
      expect(await queue.getGroupCounts(group)).toMatchObject({ waiting: 0, active: 0 });
    }
  });

  it('applies `group.limiter` to each group on its own', async () => {
    const queue = h.queue();
    const starts: Start[] = [];
    const pool = h.pool(
      async (job) => {
        starts.push({ id: job.id, group: job.group, at: Date.now() });
        return 'ok';
      },
      { concurrency: 5, group: { limiter: { max: 3, duration: 600 } } },
    );
    await pool.start();
    const jobs = await queue.addBulk(
      ['A', 'B'].flatMap((group) =>
        Array.from({ length: 7 }, () => ({ name: 'page', data: {}, opts: { group } })),
      ),
    );
    const began = Date.now();
    for (const job of jobs) await queue.waitForResult(job.id, { timeout: 10_000 });
    for (const group of ['A', 'B']) {
      const times = starts.filter((s) => s.group === group).map((s) => s.at);
      expect(times).toHaveLength(7);
      // No window of 600 ms holds more than 3 starts of one group (a little slack for clocks).
      for (let i = 3; i < times.length; i++)
        expect(times[i]! - times[i - 3]!).toBeGreaterThanOrEqual(580);
      // Both groups ran their first 3 at once: one group's limit did not hold the other.
      expect(times[2]! - began).toBeLessThan(400);
    }
  });

  it("holds only the job's group on a RateLimitError with scope 'group', spending no attempt", async () => {
    const queue = h.queue();
    const starts: (Start & { attempt: number })[] = [];
    let limitedAt = 0;
    const pool = h.pool(
      async (job, { attempt }) => {
        starts.push({ id: job.id, group: job.group, at: Date.now(), attempt });
        if (job.group === 'model-a' && limitedAt === 0) {
          limitedAt = Date.now();
          throw new RateLimitError(700, '429', { scope: 'group' });
        }
        await sleep(20);
        return attempt;
      },
      { concurrency: 1 },
    );
    const a = await queue.addBulk(
      Array.from({ length: 3 }, () => ({ name: 'call', data: {}, opts: { group: 'model-a' } })),
    );
    const b = await queue.addBulk(
      Array.from({ length: 10 }, () => ({ name: 'call', data: {}, opts: { group: 'model-b' } })),
    );
    await pool.start();
    for (const job of [...a, ...b]) await queue.waitForResult(job.id, { timeout: 10_000 });
    // The limited job ran again as attempt 1.
    expect(await queue.waitForResult(a[0]!.id)).toBe(1);
    expect((await queue.getJob(a[0]!.id))?.attempts).toBe(1);
    const afterA = starts.filter((s) => s.group === 'model-a' && s.at > limitedAt);
    expect(afterA).toHaveLength(3);
    for (const s of afterA) expect(s.at - limitedAt).toBeGreaterThanOrEqual(690);
    // model-b went on during model-a's hold.
    const bDuring = starts.filter((s) => s.group === 'model-b' && s.at - limitedAt < 690);
    expect(bDuring.length).toBeGreaterThanOrEqual(5);
  });

  it('pauses and resumes one group; the others go on, and its counts say so', async () => {
    const queue = h.queue();
    const done: string[] = [];
    const pool = h.pool(
      async (job) => {
        done.push(job.group ?? '');
        return 'ok';
      },
      { concurrency: 2 },
    );
    await queue.pauseGroup('slow');
    const held = await queue.addBulk(
      Array.from({ length: 4 }, () => ({ name: 'page', data: {}, opts: { group: 'slow' } })),
    );
    const free = await queue.addBulk(
      Array.from({ length: 4 }, () => ({ name: 'page', data: {}, opts: { group: 'fast' } })),
    );
    await pool.start();
    for (const job of free) await queue.waitForResult(job.id, { timeout: 5000 });
    await sleep(200);
    expect(done.filter((g) => g === 'slow')).toEqual([]);
    expect(await queue.getGroupCounts('slow')).toEqual({
      waiting: 4,
      delayed: 0,
      active: 0,
      completed: 0,
      failed: 0,
      paused: true,
    });
    await queue.resumeGroup('slow');
    for (const job of held) await queue.waitForResult(job.id, { timeout: 5000 });
    expect(await queue.getGroupCounts('slow')).toMatchObject({
      waiting: 0,
      completed: 4,
      paused: false,
    });
  });

  it('counts a group by state and keeps its jobs through delays, retries and retryJob', async () => {
    const queue = h.queue();
    let failFirst = true;
    const pool = h.pool(
      async (job, { attempt }) => {
        const data = job.data as { fail?: boolean; failOnce?: boolean };
        if (data.fail && failFirst) throw new Error('nope');
        if (data.failOnce && attempt === 1) throw new Error('once');
        return attempt;
      },
      {
        concurrency: 2,
        attempts: 1,
        backoff: { delay: 100, jitter: 0 },
        group: { concurrency: 1 },
      },
    );
    const late = await queue.add('page', {}, { group: 'u1', delay: 300 });
    const retried = await queue.add('page', { failOnce: true }, { group: 'u1', attempts: 2 });
    const failing = await queue.add('page', { fail: true }, { group: 'u1' });
    expect(await queue.getGroupCounts('u1')).toMatchObject({ waiting: 2, delayed: 1 });
    await pool.start();
    await expect(queue.waitForResult(failing.id, { timeout: 5000 })).rejects.toThrow('nope');
    expect(await queue.waitForResult(late.id, { timeout: 5000 })).toBe(1);
    expect(await queue.waitForResult(retried.id, { timeout: 5000 })).toBe(2);
    expect(await queue.getGroupCounts('u1')).toMatchObject({
      waiting: 0,
      delayed: 0,
      active: 0,
      completed: 2,
      failed: 1,
    });
    failFirst = false;
    await queue.retryJob(failing.id);
    expect(await queue.waitForResult(failing.id, { timeout: 5000 })).toBe(1);
    expect(await queue.getGroupCounts('u1')).toMatchObject({ completed: 3, failed: 0 });
  });

  it('leaves nothing of a group behind once its jobs are done and forgotten', async () => {
    const queue = h.queue();
    const pool = h.pool(async () => 'ok', {
      concurrency: 4,
      group: { concurrency: 1, limiter: { max: 100, duration: 200 } },
    });
    let completed = 0;
    pool.on('completed', () => completed++);
    await pool.start();
    const jobs = await queue.addBulk(
      Array.from({ length: 40 }, (_, i) => ({
        name: 'page',
        data: {},
        opts: { group: `user-${i % 20}`, removeOnComplete: true },
      })),
    );
    const removed = await queue.add('page', {}, { group: 'gone', delay: 60_000 });
    await queue.removeJob(removed.id);
    // Removed as they complete: counted from the pool's events.
    await until(() => completed === jobs.length, 'every job to complete');
    // One more claim lets the ring notice it is out of groups; limiters expire after their window.
    await queue.waitForResult((await queue.add('page', {})).id, { timeout: 5000 });
    await until(
      async () => (await groupKeys(h.prefix)).length === 0,
      'group keys to go',
      3000,
    ).catch(async () => expect(await groupKeys(h.prefix)).toEqual([]));
    const redis = rawClient();
    try {
      expect(await redis.hmget(`${h.prefix}:{q}:meta`, 'g', 'gw')).toEqual([null, '0']);
    } finally {
      await redis.quit();
    }
  });

  it('removes a waiting grouped job from its group', async () => {
    const queue = h.queue();
    const a = await queue.add('page', {}, { group: 'g' });
    const b = await queue.add('page', {}, { group: 'g' });
    await queue.removeJob(a.id);
    expect(await queue.getGroupCounts('g')).toMatchObject({ waiting: 1 });
    expect((await queue.getCounts()).waiting).toBe(1);
    const pool = h.pool(async (job) => job.id);
    await pool.start();
    expect(await queue.waitForResult(b.id, { timeout: 5000 })).toBe(b.id);
  });

  it('cancels grouped jobs waiting, delayed and running: nothing of them runs, and the slot comes back', async () => {
    const queue = h.queue();
    const waiting = await queue.add('page', { n: 1 }, { group: 'g' });
    const delayed = await queue.add('page', { n: 2 }, { group: 'g', delay: 60_000 });
    await queue.cancel(waiting.id);
    await queue.cancel(delayed.id);
    expect(await queue.getGroupCounts('g')).toMatchObject({ waiting: 0, delayed: 0, failed: 2 });
    const ran: string[] = [];
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const pool = h.pool(
      async (job, ctx) => {
        ran.push(job.id);
        if ((job.data as { hold?: boolean }).hold) {
          started();
          await new Promise((_resolve, reject) =>
            ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason as Error)),
          );
        }
        return job.id;
      },
      { group: { concurrency: 1 } },
    );
    await pool.start();
    const held = await queue.add('page', { hold: true }, { group: 'g' });
    await running;
    const next = await queue.add('page', {}, { group: 'g' });
    await queue.cancel(held.id);
    // The group's one slot was the cancelled job's: the next job gets it.
    expect(await queue.waitForResult(next.id, { timeout: 10_000 })).toBe(next.id);
    expect(ran).toEqual([held.id, next.id]);
    expect(await queue.getGroupCounts('g')).toMatchObject({ waiting: 0, active: 0, failed: 3 });
  });

  it('puts every job of addBatch in its group, a job of its own group aside', async () => {
    const queue = h.queue();
    const batch = await queue.addBatch(
      [
        { name: 'page', data: { i: 0 } },
        { name: 'page', data: { i: 1 }, opts: { group: 'other' } },
        { name: 'page', data: { i: 2 } },
      ],
      { group: 'client-7' },
    );
    expect(batch.jobs.map((j) => j.group)).toEqual(['client-7', 'other', 'client-7']);
    expect(await queue.getGroupCounts('client-7')).toMatchObject({ waiting: 2 });
    const pool = h.pool(async (job) => job.group);
    await pool.start();
    const result = await queue.waitForBatch(batch.id, { timeout: 5000 });
    expect(result.items.map((i) => (i.state === 'completed' ? i.result : i.state))).toEqual([
      'client-7',
      'other',
      'client-7',
    ]);
  });

  it('hands a grouped job back to its group when a pool closes, freeing its slot', async () => {
    const queue = h.queue();
    const first = h.pool(() => new Promise(() => {}), {
      concurrency: 1,
      gracePeriod: 0,
      group: { concurrency: 1 },
    });
    await first.start();
    const job = await queue.add('page', {}, { group: 'g' });
    await until(async () => (await queue.getJob(job.id))?.state === 'active', 'the job to start');
    expect(await queue.getGroupCounts('g')).toMatchObject({ active: 1 });
    await first.close({ force: true });
    expect(await queue.getGroupCounts('g')).toMatchObject({ active: 0, waiting: 1 });
    const second = h.pool(async () => 'second', { group: { concurrency: 1 } });
    await second.start();
    expect(await queue.waitForResult(job.id, { timeout: 5000 })).toBe('second');
  });
});

describe('groups: bad input', () => {
  const h = useHarness('groups-input');

  it('refuses a group name that is empty, too long, not a string or holds braces', async () => {
    const queue = h.queue();
    await expect(queue.add('page', {}, { group: '' })).rejects.toThrow(
      'Expected `opts.group` to be a non-empty string, got `""` (empty string)',
    );
    await expect(queue.add('page', {}, { group: 'x'.repeat(257) })).rejects.toThrow(
      'Expected `opts.group` to be at most 256 bytes long, got `xxxxxxxx',
    );
    await expect(queue.add('page', {}, { group: 'é'.repeat(129) })).rejects.toThrow(
      'at most 256 bytes long, got `éééé',
    );
    await expect(queue.add('page', {}, { group: 42 as never })).rejects.toThrow(
      'Expected `opts.group` to be a string, got `42` (number)',
    );
    await expect(queue.add('page', {}, { group: '{:}' })).rejects.toThrow(
      'Expected `opts.group` to be a group name without braces, got `{:}` (string)',
    );
    await expect(
      queue.addBulk([{ name: 'page', data: {}, opts: { group: '{a}' } }]),
    ).rejects.toThrow('Expected `jobs[0].opts.group` to be a group name without braces');
    await expect(queue.addBatch([{ name: 'page', data: {} }], { group: '' })).rejects.toThrow(
      'Expected `group` to be a non-empty string',
    );
    await expect(queue.pauseGroup(':{}' as string)).rejects.toThrow('without braces');
    await expect(queue.getGroupCounts(undefined as never)).rejects.toThrow(
      'Expected `group` to be a string, got `undefined`',
    );
    // A name of colons only is fine: the group's name comes last in its keys.
    expect((await queue.add('page', {}, { group: ':' })).group).toBe(':');
    expect((await queue.getCounts()).waiting).toBe(1);
  });

  it('refuses `group.concurrency` of 0 or 1.5, an unknown key, and a bad limiter', () => {
    expect(() => h.pool(async () => 1, { group: { concurrency: 0 } })).toThrow(
      'Expected `group.concurrency` to be an integer from 1 to 1000000, got `0` (number)',
    );
    expect(() => h.pool(async () => 1, { group: { concurrency: 1.5 } })).toThrow(
      'Expected `group.concurrency` to be an integer',
    );
    expect(() => h.pool(async () => 1, { group: { max: 1 } as never })).toThrow('`group`');
    expect(() => h.pool(async () => 1, { group: { limiter: { max: 0, duration: 10 } } })).toThrow(
      'Expected `group.limiter.max` to be an integer from 1 to 1000000, got `0` (number)',
    );
    expect(() => h.pool(async () => 1, { group: 'A' as never })).toThrow('`group`');
  });

  it("refuses a RateLimitError scope other than 'queue' or 'group'", () => {
    expect(() => new RateLimitError(10, undefined, { scope: 'everywhere' as never })).toThrow(
      "Expected `scope` to be 'queue' or 'group', got `everywhere` (string)",
    );
    expect(new RateLimitError(10, undefined, { scope: 'group' }).scope).toBe('group');
    expect(new RateLimitError(10).scope).toBe('queue');
  });
});
