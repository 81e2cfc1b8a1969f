// Cost windows (`limiter: { by: 'cost' }`): a budget of cost units (tokens) per
// window, charged when a job is claimed and settled by `ctx.reportCost(n)`.
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import {
  CostOverLimitError,
  CostReportError,
  JobFailedError,
  OptionRangeError,
  OptionTypeError,
  type HandlerContext,
} from '../../src/index.js';
import { queueKeys } from '../../src/redis/keys.js';
import { useHarness } from '../support/harness.js';
import { expectPacedClaims } from '../support/pacing.js';
import { poolFleet } from '../support/pool-processes.js';
import { redisUrl, sleep, until } from '../support/redis.js';

const redis = new Redis(redisUrl());
afterAll(() => redis.quit());

/** The units a window of `duration` ms holds now (the sum of its sub-buckets, not its pacing). */
async function windowSum(prefix: string, duration: number): Promise<number> {
  const fields = await redis.hgetall(queueKeys(prefix, 'q').costWindow(duration));
  return Object.entries(fields)
    .filter(([field]) => /^\d+$/.test(field))
    .reduce((sum, [, v]) => sum + Number(v), 0);
}

describe('cost windows', () => {
  const h = useHarness('cost');

  it('three processes sharing a cost window never charge more than its max in any window', async () => {
    const max = 10;
    const duration = 1000;
    const fleet = poolFleet({
      url: redisUrl(),
      prefix: h.prefix,
      concurrency: 4,
      attempts: 1,
      limiter: { max, duration, by: 'cost' },
    });
    const queue = h.queue();
    try {
      await Promise.all([fleet.start(), fleet.start(), fleet.start()]);
      const costs = Array.from({ length: 24 }, (_, i) => 2 + (i % 4));
      const jobs = await queue.addBulk(
        costs.map((cost) => ({ name: 'call', data: { ms: 5 }, opts: { cost } })),
      );
      for (const job of jobs) await queue.waitForResult(job.id, { timeout: 60_000 });
      // The claim time (Redis clock) of each job's one attempt, and its cost.
      const claims: { at: number; cost: number }[] = [];
      for (const [i, job] of jobs.entries()) {
        const info = await queue.getJob(job.id);
        expect(info).toMatchObject({ state: 'completed', attempts: 1 });
        claims.push({ at: info!.processedAt!, cost: costs[i]! });
      }
      claims.sort((a, b) => a.at - b.at);
      // In every window [t, t + duration] that starts at a claim: at most `max` units.
      let worst = 0;
      for (const first of claims) {
        const sum = claims
          .filter((c) => c.at >= first.at && c.at <= first.at + duration)
          .reduce((n, c) => n + c.cost, 0);
        worst = Math.max(worst, sum);
      }
      expect(worst).toBeLessThanOrEqual(max);
      // Every process took part.
      const pids = new Set(fleet.events.filter((e) => e.type === 'completed').map((e) => e.pid));
      expect(pids.size).toBeGreaterThan(1);
    } finally {
      await fleet.stopAll();
    }
  }, 120_000);

  it('paces a backlog over the window instead of claiming a whole budget at once', async () => {
    // 20 jobs of 1 unit fit one window of max 20: the window alone would let all of
    // them go at once, then nothing for 2 s (bursts one window apart). Paced, one goes
    // per duration / max (a little more), see expectPacedClaims.
    const max = 20;
    const duration = 2000;
    const queue = h.queue();
    const pool = h.pool(async () => 'ok', {
      concurrency: 20,
      limiter: { max, duration, by: 'cost' },
    });
    const jobs = await queue.addBulk(
      Array.from({ length: max }, () => ({ name: 'call', data: {}, opts: { cost: 1 } })),
    );
    await pool.start();
    for (const job of jobs) await queue.waitForResult(job.id, { timeout: 30_000 });
    const claims: number[] = [];
    for (const job of jobs) claims.push((await queue.getJob(job.id))!.processedAt!);
    expectPacedClaims(claims, max, duration);
    // Without pacing all 20 start within a few ms; paced, they take about a window.
    claims.sort((a, b) => a - b);
    expect(claims.at(-1)! - claims[0]!).toBeGreaterThan(duration / 2);
  }, 60_000);

  it('settles estimates that ran high, then low: the window holds the reported figures', async () => {
    const queue = h.queue();
    const pool = h.pool(
      async (job: { data: { real?: number } }, ctx: HandlerContext) => {
        if (job.data.real !== undefined) ctx.reportCost(job.data.real);
        return 'ok';
      },
      {
        limiter: [
          { max: 1000, duration: 60_000, by: 'cost' },
          { max: 100, duration: 60_000 },
        ],
      },
    );
    await pool.start();
    const run = async (cost: number, real?: number) => {
      const job = await queue.add('call', real === undefined ? {} : { real }, { cost });
      await queue.waitForResult(job.id, { timeout: 10_000 });
    };
    // Too high: 3 x 40 charged, 3 x 10 used.
    for (let i = 0; i < 3; i++) await run(40, 10);
    expect(await windowSum(h.prefix, 60_000)).toBe(30);
    // Too low: 2 x 5 charged, 2 x 30 used.
    for (let i = 0; i < 2; i++) await run(5, 30);
    expect(await windowSum(h.prefix, 60_000)).toBe(90);
    // Not reported: the estimate stands.
    await run(7);
    expect(await windowSum(h.prefix, 60_000)).toBe(97);
  });

  it('holds a job that does not fit until room comes back, without spending an attempt; a refund makes room at once', async () => {
    const queue = h.queue();
    const duration = 2000;
    const pool = h.pool(
      async (job: { data: { real?: number } }, ctx: HandlerContext) => {
        if (job.data.real !== undefined) ctx.reportCost(job.data.real);
        return ctx.attempt;
      },
      { limiter: { max: 10, duration, by: 'cost' } },
    );
    await pool.start();
    // 8 charged and settled at 2: 5 more fit at once.
    const a = await queue.add('call', { real: 2 }, { cost: 8 });
    await queue.waitForResult(a.id, { timeout: 10_000 });
    const b = await queue.add('call', {}, { cost: 5 });
    await queue.waitForResult(b.id, { timeout: 10_000 });
    expect(await windowSum(h.prefix, duration)).toBe(7);
    // 7 + 6 > 10: this one waits until a's and b's charges leave the window.
    const c = await queue.add('call', {}, { cost: 6 });
    await sleep(300);
    expect((await queue.getJob(c.id))?.state).toBe('waiting');
    expect(await queue.waitForResult(c.id, { timeout: 15_000 })).toBe(1);
    const [infoA, infoC] = await Promise.all([queue.getJob(a.id), queue.getJob(c.id)]);
    expect(infoC).toMatchObject({ attempts: 1 });
    expect(infoC!.processedAt! - infoA!.processedAt!).toBeGreaterThan(duration);
  }, 30_000);

  it('fails a job whose cost is over a window max at once, without running it', async () => {
    const queue = h.queue();
    let ran = 0;
    const pool = h.pool(
      async () => {
        ran++;
        return 'ok';
      },
      {
        limiter: [
          { max: 50, duration: 1000 },
          { max: 10, duration: 60_000, by: 'cost' },
        ],
      },
    );
    const failures: unknown[] = [];
    pool.on('failed', ({ error }) => failures.push(error));
    await pool.start();
    const big = await queue.add('call', {}, { cost: 11, attempts: 5 });
    const error = await queue.waitForResult(big.id, { timeout: 10_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JobFailedError);
    const info = await queue.getJob(big.id);
    expect(info).toMatchObject({ state: 'failed', attempts: 1 });
    expect(info?.error).toMatchObject({
      code: 'ERR_COST_OVER_LIMIT',
      message:
        "Job 1 costs 11 units, over the max of 10 units per 60000 ms of the pool's `limiter` window with `by: 'cost'`: it can never fit, so it fails without running",
    });
    expect(failures[0]).toBeInstanceOf(CostOverLimitError);
    // Nothing was charged for it, and the queue goes on.
    expect(await windowSum(h.prefix, 60_000)).toBe(0);
    const next = await queue.add('call', {}, { cost: 10 });
    expect(await queue.waitForResult(next.id, { timeout: 10_000 })).toBe('ok');
    expect(ran).toBe(1);
  });

  it('refuses a bad cost at add, naming the option, and adds nothing', async () => {
    const queue = h.queue();
    const cases: [unknown, typeof OptionRangeError | typeof OptionTypeError, string][] = [
      [-1, OptionRangeError, '`-1` (number)'],
      [Number.NaN, OptionRangeError, '`NaN` (number)'],
      [Number.POSITIVE_INFINITY, OptionRangeError, '`Infinity` (number)'],
      ['12', OptionTypeError, '`12` (string)'],
      [1.5, OptionRangeError, '`1.5` (number)'],
    ];
    for (const [cost, Kind, shown] of cases) {
      const error = await queue.add('call', {}, { cost } as never).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Kind);
      expect((error as Error).message).toBe(
        `Expected \`opts.cost\` to be an integer from 0 to 1000000000000000, got ${shown}`,
      );
    }
    const bulk = await queue
      .addBulk([
        { name: 'call', data: {} },
        { name: 'call', data: {}, opts: { cost: -1 } },
      ])
      .catch((e: unknown) => e);
    expect((bulk as Error).message).toBe(
      'Expected `jobs[1].opts.cost` to be an integer from 0 to 1000000000000000, got `-1` (number)',
    );
    const counts = await queue.getCounts();
    expect(counts.waiting).toBe(0);
  });

  it('refuses bad limiter windows, naming the option', () => {
    const bad: [unknown, string][] = [
      [
        [
          { max: 10, duration: 1000 },
          { max: 10, duration: 1000, by: 'tokens' },
        ],
        "Expected `limiter[1].by` to be 'jobs' or 'cost', got `tokens` (string)",
      ],
      [
        { max: 0, duration: 1000, by: 'cost' },
        'Expected `limiter.max` to be an integer from 1 to 1000000000000000, got `0` (number)',
      ],
      [
        [{ max: 5, duration: -1, by: 'cost' }],
        'Expected `limiter[0].duration` to be an integer from 1 to 2147483647, got `-1` (number)',
      ],
      [
        [{ max: 2.5, duration: 1000 }],
        'Expected `limiter[0].max` to be an integer from 1 to 1000000, got `2.5` (number)',
      ],
      [
        [],
        'Expected `limiter` to be a window or a non-empty array of windows, got an array of length 0',
      ],
    ];
    for (const [limiter, message] of bad) {
      expect(() => h.pool(async () => 1, { limiter } as never)).toThrow(message);
    }
  });

  it('refuses ctx.reportCost called twice, after the attempt ended, or with a bad number', async () => {
    const queue = h.queue();
    const errors: unknown[] = [];
    let kept: HandlerContext | undefined;
    const pool = h.pool(
      async (_job, ctx: HandlerContext) => {
        for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY, '3']) {
          try {
            ctx.reportCost(bad as number);
          } catch (error) {
            errors.push(error);
          }
        }
        ctx.reportCost(4);
        try {
          ctx.reportCost(5);
        } catch (error) {
          errors.push(error);
        }
        kept = ctx;
        return 'ok';
      },
      { limiter: { max: 100, duration: 60_000, by: 'cost' } },
    );
    await pool.start();
    const job = await queue.add('call', {}, { cost: 9 });
    expect(await queue.waitForResult(job.id, { timeout: 10_000 })).toBe('ok');
    const late = (() => {
      try {
        kept!.reportCost(1);
        return undefined;
      } catch (error) {
        return error;
      }
    })();
    expect(errors.map((e) => [(e as Error).constructor.name, (e as Error).message])).toEqual([
      [
        'OptionRangeError',
        'Expected `ctx.reportCost(units)` to be a finite number from 0 to 1000000000000000, got `-1` (number)',
      ],
      [
        'OptionRangeError',
        'Expected `ctx.reportCost(units)` to be a finite number from 0 to 1000000000000000, got `NaN` (number)',
      ],
      [
        'OptionRangeError',
        'Expected `ctx.reportCost(units)` to be a finite number from 0 to 1000000000000000, got `Infinity` (number)',
      ],
      [
        'OptionTypeError',
        'Expected `ctx.reportCost(units)` to be a finite number from 0 to 1000000000000000, got `3` (string)',
      ],
      [
        'CostReportError',
        `ctx.reportCost(5) was called twice in attempt 1 of job ${job.id} (first with 4): report the attempt's whole cost once`,
      ],
    ]);
    expect(late).toBeInstanceOf(CostReportError);
    expect((late as Error).message).toBe(
      `ctx.reportCost(1) was called after attempt 1 of job ${job.id} ended: its outcome (and cost) was already reported`,
    );
    // The first good report counted: 9 charged, settled at 4.
    await until(async () => (await windowSum(h.prefix, 60_000)) === 4, 'the window to hold 4');
  });
});
