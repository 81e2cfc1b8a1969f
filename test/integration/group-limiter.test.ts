// `group.limiter`: the shape of the pool's `limiter` (one window or several, job
// starts or cost units), counted for each group on its own across every pool.
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { CostOverLimitError, JobFailedError, type HandlerContext } from '../../src/index.js';
import { queueKeys } from '../../src/redis/keys.js';
import { useHarness } from '../support/harness.js';
import { expectPacedClaims } from '../support/pacing.js';
import { poolFleet } from '../support/pool-processes.js';
import { redisUrl, until } from '../support/redis.js';

const redis = new Redis(redisUrl());
afterAll(() => redis.quit());

/** The units group `group`'s window of `duration` ms holds now (the sum of its sub-buckets, not its pacing). */
async function groupWindowSum(prefix: string, group: string, duration: number): Promise<number> {
  const fields = await redis.hgetall(queueKeys(prefix, 'q').groupCostWindow(group, duration));
  return Object.entries(fields)
    .filter(([field]) => /^\d+$/.test(field))
    .reduce((sum, [, v]) => sum + Number(v), 0);
}

/** The most units charged in any window [t, t + duration] that starts at a claim. */
function worstWindow(claims: { at: number; cost: number }[], duration: number): number {
  let worst = 0;
  for (const first of claims) {
    const sum = claims
      .filter((c) => c.at >= first.at && c.at <= first.at + duration)
      .reduce((n, c) => n + c.cost, 0);
    worst = Math.max(worst, sum);
  }
  return worst;
}

describe('group.limiter', () => {
  const h = useHarness('glimit');

  it("two processes sharing a group's cost window never charge it more than its max in any window", async () => {
    const max = 10;
    const duration = 1000;
    const fleet = poolFleet({
      url: redisUrl(),
      prefix: h.prefix,
      concurrency: 3,
      attempts: 1,
      group: { limiter: [{ max, duration, by: 'cost' }] },
    });
    const queue = h.queue();
    try {
      await Promise.all([fleet.start(), fleet.start()]);
      const specs = ['A', 'B'].flatMap((group) =>
        Array.from({ length: 16 }, (_, i) => ({ group, cost: 2 + (i % 4) })),
      );
      const jobs = await queue.addBulk(
        specs.map(({ group, cost }) => ({ name: 'call', data: { ms: 5 }, opts: { cost, group } })),
      );
      for (const job of jobs) await queue.waitForResult(job.id, { timeout: 60_000 });
      for (const group of ['A', 'B']) {
        const claims: { at: number; cost: number }[] = [];
        for (const [i, job] of jobs.entries()) {
          if (specs[i]!.group !== group) continue;
          const info = await queue.getJob(job.id);
          expect(info).toMatchObject({ state: 'completed', attempts: 1, group });
          claims.push({ at: info!.processedAt!, cost: specs[i]!.cost });
        }
        claims.sort((a, b) => a.at - b.at);
        expect(worstWindow(claims, duration)).toBeLessThanOrEqual(max);
        // The group's 56 units took several windows: the limit did hold it back.
        expect(claims.at(-1)!.at - claims[0]!.at).toBeGreaterThan(2 * duration);
      }
      const pids = new Set(fleet.events.filter((e) => e.type === 'completed').map((e) => e.pid));
      expect(pids.size).toBe(2);
    } finally {
      await fleet.stopAll();
    }
  }, 120_000);

  it("paces a group's backlog over its cost window, while another group's jobs go on", async () => {
    // As for the pool's own cost windows (cost-windows.test.ts): 20 jobs of 1 unit
    // fit one window of max 20, so the window alone would let all of group A's go at
    // once. Paced, they take about a window (see expectPacedClaims); group B is not held.
    const max = 20;
    const duration = 2000;
    const queue = h.queue();
    const pool = h.pool(async () => 'ok', {
      concurrency: 20,
      group: { limiter: { max, duration, by: 'cost' } },
    });
    const a = await queue.addBulk(
      Array.from({ length: max }, () => ({
        name: 'call',
        data: {},
        opts: { group: 'A', cost: 1 },
      })),
    );
    await pool.start();
    // B's job, added while A is being paced, runs without waiting for A's backlog.
    await until(async () => (await queue.getGroupCounts('A')).completed >= 2, "A's first jobs");
    const b = await queue.add('call', {}, { group: 'B', cost: 1 });
    await queue.waitForResult(b.id, { timeout: 10_000 });
    expect((await queue.getGroupCounts('A')).completed).toBeLessThan(max / 2);
    for (const job of a) await queue.waitForResult(job.id, { timeout: 30_000 });
    const claims: number[] = [];
    for (const job of a) claims.push((await queue.getJob(job.id))!.processedAt!);
    expectPacedClaims(claims, max, duration);
    // Every unit is still in the window's sub-buckets, whatever the pacing held back.
    expect(await groupWindowSum(h.prefix, 'A', duration)).toBeLessThanOrEqual(max);
  }, 60_000);

  it('keeps other groups running while one is over its cost window, and parks that one until room comes back', async () => {
    const queue = h.queue();
    const duration = 2000;
    const pool = h.pool(async () => 'ok', {
      concurrency: 4,
      group: { limiter: { max: 10, duration, by: 'cost' } },
    });
    await pool.start();
    const a1 = await queue.add('call', {}, { group: 'A', cost: 8 });
    await queue.waitForResult(a1.id, { timeout: 10_000 });
    // A holds 8 of its 10: a2 waits for a1's charge to leave the window.
    const a2 = await queue.add('call', {}, { group: 'A', cost: 5 });
    const b = await queue.addBulk(
      Array.from({ length: 6 }, () => ({ name: 'call', data: {}, opts: { group: 'B', cost: 3 } })),
    );
    const plain = await queue.add('call', {});
    // B's first 3 jobs (9 units) and the job with no group run while A waits.
    const completed = async (id: string) => (await queue.getJob(id))?.state === 'completed';
    for (const job of [plain, ...b.slice(0, 3)]) await until(() => completed(job.id), job.id);
    expect((await queue.getJob(a2.id))?.state).toBe('waiting');
    // A and B are both parked for room in their windows.
    await until(async () => (await queue.getGroupTotals()).limited === 2, 'A and B parked');
    await queue.waitForResult(a2.id, { timeout: 15_000 });
    for (const job of b) await queue.waitForResult(job.id, { timeout: 15_000 });
    const [infoA1, infoA2] = await Promise.all([queue.getJob(a1.id), queue.getJob(a2.id)]);
    expect(infoA2).toMatchObject({ attempts: 1, state: 'completed' });
    expect(infoA2!.processedAt! - infoA1!.processedAt!).toBeGreaterThan(duration);
  }, 30_000);

  it("settles a job's reported cost in its group's window (and the pool's), up and down", async () => {
    const queue = h.queue();
    const pool = h.pool(
      async (job: { data: { real?: number } }, ctx: HandlerContext) => {
        if (job.data.real !== undefined) ctx.reportCost(job.data.real);
        return 'ok';
      },
      {
        limiter: { max: 10_000, duration: 30_000, by: 'cost' },
        group: {
          limiter: [
            { max: 1000, duration: 60_000, by: 'cost' },
            { max: 100, duration: 60_000 },
          ],
        },
      },
    );
    await pool.start();
    const run = async (cost: number, real?: number) => {
      const data = real === undefined ? {} : { real };
      // Kept nowhere once done, so the group holds nothing after its last job.
      const job = await queue.add('call', data, { cost, group: 'G', removeOnComplete: true });
      await queue.waitForResult(job.id, { timeout: 10_000 });
    };
    // Too high: 3 x 40 charged, 3 x 10 used.
    for (let i = 0; i < 3; i++) await run(40, 10);
    expect(await groupWindowSum(h.prefix, 'G', 60_000)).toBe(30);
    // Too low: 2 x 5 charged, 2 x 30 used.
    for (let i = 0; i < 2; i++) await run(5, 30);
    expect(await groupWindowSum(h.prefix, 'G', 60_000)).toBe(90);
    // Not reported: the estimate stands.
    await run(7);
    expect(await groupWindowSum(h.prefix, 'G', 60_000)).toBe(97);
    // The pool's own window got the same figures (its sub-buckets; `p<max>` is its pacing).
    const pooled = await redis.hgetall(queueKeys(h.prefix, 'q').costWindow(30_000));
    const sub = Object.entries(pooled).filter(([field]) => /^\d+$/.test(field));
    expect(sub.reduce((sum, [, v]) => sum + Number(v), 0)).toBe(97);
    // Another group's window is its own.
    expect(await groupWindowSum(h.prefix, 'H', 60_000)).toBe(0);
    // The group's state dies with it: its hash is gone, its windows expire.
    const keys = queueKeys(h.prefix, 'q');
    await until(async () => (await redis.exists(keys.group('G'))) === 0, "G's hash deleted");
    const ttl = await redis.pttl(keys.groupCostWindow('G', 60_000));
    expect(ttl).toBeGreaterThan(0);
    // A window, and its pacing's lead and slack: 5 of its 60 sub-buckets (1 s each).
    expect(ttl).toBeLessThanOrEqual(60_000 + 5 * 1000);
    const startsTtl = await redis.pttl(keys.groupLimiter('G'));
    expect(startsTtl).toBeGreaterThan(0);
    expect(startsTtl).toBeLessThanOrEqual(60_000);
  });

  it("charges a group nothing for a job the pool's own window sends back", async () => {
    const queue = h.queue();
    const duration = 1500;
    const pool = h.pool(async () => 'ok', {
      limiter: { max: 10, duration, by: 'cost' },
      group: {
        limiter: [
          { max: 100, duration: 60_000, by: 'cost' },
          { max: 100, duration: 60_000 },
        ],
      },
    });
    await pool.start();
    const first = await queue.add('call', {}, { cost: 8, group: 'G' });
    await queue.waitForResult(first.id, { timeout: 10_000 });
    // 8 + 5 > 10 in the pool's window: taken from G's line, sent back, until room comes back.
    const second = await queue.add('call', {}, { cost: 5, group: 'G' });
    await queue.waitForResult(second.id, { timeout: 15_000 });
    const [a, b] = await Promise.all([queue.getJob(first.id), queue.getJob(second.id)]);
    expect(b!.processedAt! - a!.processedAt!).toBeGreaterThan(duration);
    // Each job charged its group once, whatever the times it was sent back.
    expect(await groupWindowSum(h.prefix, 'G', 60_000)).toBe(13);
    expect(await redis.zcard(queueKeys(h.prefix, 'q').groupLimiter('G'))).toBe(2);
    // And its pacing moved on by those 13 units only, each claim once: a unit is
    // (60 s + 3 sub-buckets of 1 s) / 100 = 630 ms, from the claim time or the pacing
    // time before it, whichever is later.
    const window = await redis.hgetall(queueKeys(h.prefix, 'q').groupCostWindow('G', 60_000));
    const paced = Math.max(a!.processedAt! + 8 * 630, b!.processedAt!) + 5 * 630;
    expect(Number(window.p100)).toBeGreaterThanOrEqual(paced - 1);
    expect(Number(window.p100)).toBeLessThanOrEqual(paced + 1);
  }, 30_000);

  it("takes back a group's pacing for a job the pool's own window sends back in the call that keeps another", async () => {
    const queue = h.queue();
    const pool = h.pool(async () => 'ok', {
      concurrency: 4,
      limiter: { max: 8, duration: 60_000, by: 'cost' },
      group: { limiter: { max: 1000, duration: 60_000, by: 'cost' } },
    });
    // Both in G's line before the pool starts: one claim call admits both to G's
    // window, then the pool's own window keeps the first (4 of 8) and sends the
    // second (5) back.
    const [first, second] = await queue.addBulk([
      { name: 'call', data: {}, opts: { group: 'G', cost: 4 } },
      { name: 'call', data: {}, opts: { group: 'G', cost: 5 } },
    ]);
    await pool.start();
    await queue.waitForResult(first!.id, { timeout: 10_000 });
    expect((await queue.getJob(second!.id))?.state).toBe('waiting');
    const window = await redis.hgetall(queueKeys(h.prefix, 'q').groupCostWindow('G', 60_000));
    expect(await groupWindowSum(h.prefix, 'G', 60_000)).toBe(4);
    // G's pacing moved on by the 4 units it kept only: a unit is (60 s + 3 sub-buckets
    // of 1 s) / 1000 = 63 ms, and its lead of 2 sub-buckets let both in at once.
    const claimedAt = (await queue.getJob(first!.id))!.processedAt!;
    expect(Number(window.p1000)).toBeGreaterThanOrEqual(claimedAt + 4 * 63 - 1);
    expect(Number(window.p1000)).toBeLessThanOrEqual(claimedAt + 4 * 63 + 1);
  }, 30_000);

  it('applies every window of job starts of an array, to each group on its own', async () => {
    const queue = h.queue();
    const starts: { group: string | undefined; at: number }[] = [];
    const pool = h.pool(
      async (job) => {
        starts.push({ group: job.group, at: Date.now() });
        return 'ok';
      },
      {
        concurrency: 6,
        group: {
          limiter: [
            { max: 2, duration: 400 },
            { max: 3, duration: 1500 },
          ],
        },
      },
    );
    const jobs = await queue.addBulk(
      ['A', 'B'].flatMap((group) =>
        Array.from({ length: 4 }, () => ({ name: 'page', data: {}, opts: { group } })),
      ),
    );
    await pool.start();
    for (const job of jobs) await queue.waitForResult(job.id, { timeout: 10_000 });
    const byGroup = new Map<string, number[]>();
    for (const s of starts) byGroup.set(s.group!, [...(byGroup.get(s.group!) ?? []), s.at]);
    for (const group of ['A', 'B']) {
      const times = byGroup.get(group)!;
      expect(times).toHaveLength(4);
      // 2 per 400 ms, 3 per 1500 ms (a little slack for two clocks).
      expect(times[2]! - times[0]!).toBeGreaterThanOrEqual(380);
      expect(times[3]! - times[0]!).toBeGreaterThanOrEqual(1480);
    }
  });

  it("fails a job whose cost is over its group's window at once, without running it, naming `group.limiter`", async () => {
    const queue = h.queue();
    let ran = 0;
    const pool = h.pool(
      async () => {
        ran++;
        return 'ok';
      },
      { group: { limiter: { max: 50, duration: 1000, by: 'cost' } } },
    );
    await pool.start();
    const job = await queue.add('call', {}, { cost: 51, group: 'G' });
    const error = await queue.waitForResult(job.id, { timeout: 10_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JobFailedError);
    const info = await queue.getJob(job.id);
    expect(info).toMatchObject({ state: 'failed', attempts: 1 });
    expect(info!.error!.code).toBe(CostOverLimitError.code);
    expect(info!.error!.message).toContain('max of 50 units per 1000 ms');
    expect(info!.error!.message).toContain('`group.limiter`');
    // Nothing was charged, and the group's next job runs.
    expect(await groupWindowSum(h.prefix, 'G', 1000)).toBe(0);
    const next = await queue.add('call', {}, { cost: 50, group: 'G' });
    expect(await queue.waitForResult(next.id, { timeout: 10_000 })).toBe('ok');
    expect(ran).toBe(1);
  });

  it('refuses bad group limiter windows, naming the option', () => {
    const bad: [unknown, string][] = [
      [
        [
          { max: 10, duration: 1000 },
          { max: 10, duration: 1000, by: 'tokens' },
        ],
        "Expected `group.limiter[1].by` to be 'jobs' or 'cost', got `tokens` (string)",
      ],
      [
        { max: 0, duration: 1000, by: 'cost' },
        'Expected `group.limiter.max` to be an integer from 1 to 1000000000000000, got `0` (number)',
      ],
      [
        [{ max: 5, duration: -1, by: 'cost' }],
        'Expected `group.limiter[0].duration` to be an integer from 1 to 2147483647, got `-1` (number)',
      ],
      [
        [{ max: 2.5, duration: 1000 }],
        'Expected `group.limiter[0].max` to be an integer from 1 to 1000000, got `2.5` (number)',
      ],
      [
        [],
        'Expected `group.limiter` to be a window or a non-empty array of windows, got an array of length 0',
      ],
      [{ max: 5, duration: 1000, per: 'user' }, '`group.limiter`'],
    ];
    for (const [limiter, message] of bad) {
      expect(() => h.pool(async () => 1, { group: { limiter } } as never)).toThrow(message);
    }
  });
});
