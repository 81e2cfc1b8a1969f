import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { JobFailedError, OptionRangeError, OptionTypeError, type Queue } from '../../src/index.js';
import { queueKeysOf } from '../../src/internal.js';
import { useHarness } from '../support/harness.js';
import {
  spawnChild,
  startPoolProcess,
  type ChildHandle,
  type ChildMessage,
} from '../support/pool-processes.js';
import { rawClient, redisUrl, sleep, until } from '../support/redis.js';

/** A promise and its resolve (Node 20 has no Promise.withResolvers). */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = () => {};
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

const ADDER = join(import.meta.dirname, '..', 'fixtures', 'cache-adder.mjs');
const DAY = 86_400_000;

interface AdderDone extends ChildMessage {
  added: { id: string; cached: boolean }[];
  results: unknown[];
}

/** Hits and misses over the last two minutes (a test may straddle a minute). */
async function cacheCounts(queue: Queue): Promise<{ hits: number; misses: number }> {
  const { minutes } = await queue.getMetrics(2);
  return minutes.reduce(
    (sum, m) => ({ hits: sum.hits + m.cacheHits, misses: sum.misses + m.cacheMisses }),
    { hits: 0, misses: 0 },
  );
}

/** Whether the cache entry of `key` exists in Redis. */
async function entryExists(queue: Queue, key: string): Promise<boolean> {
  const client = rawClient();
  try {
    return (await client.exists(queueKeysOf(queue).cache(key))) === 1;
  } finally {
    await client.quit();
  }
}

describe('result cache and single flight', () => {
  const h = useHarness('cache');
  const children: ChildHandle[] = [];
  afterEach(async () => {
    await Promise.all(children.splice(0).map((c) => c.kill()));
  });

  it('50 adds with one key from 3 processes make one run and 50 equal results', async () => {
    const queue = h.queue();
    let runs = 0;
    const started = deferred();
    const release = deferred();
    // Not started until every add is in: the adds must meet a waiting or running job.
    const adders = [17, 17, 16].map((count) =>
      spawnChild<AdderDone>(ADDER, {
        url: redisUrl(),
        prefix: h.prefix,
        key: 'page:v1:abc',
        ttl: DAY,
        count,
      }),
    );
    children.push(...(adders as unknown as ChildHandle[]));
    await Promise.all(adders.map((a) => a.waitFor((m) => m.type === 'ready', 'ready', 30_000)));
    for (const adder of adders) adder.child.send('go');
    const pool = h.pool(async (job) => {
      runs++;
      started.resolve();
      await release.promise;
      return { page: `text of ${job.id}` };
    });
    await pool.start();
    await started.promise;
    await until(async () => (await cacheCounts(queue)).hits + 1 >= 50, '50 adds', 30_000);
    release.resolve();
    const done = await Promise.all(adders.map((a) => a.next('done', 60_000)));
    const added = done.flatMap((d) => d.added);
    const results = done.flatMap((d) => d.results);
    expect(added).toHaveLength(50);
    expect(new Set(added.map((a) => a.id)).size).toBe(1);
    expect(added.filter((a) => !a.cached)).toHaveLength(1);
    expect(results).toHaveLength(50);
    for (const result of results) expect(result).toEqual(results[0]);
    expect(results[0]).toEqual({ page: `text of ${added[0]?.id}` });
    expect(runs).toBe(1);
    expect(await cacheCounts(queue)).toEqual({ hits: 49, misses: 1 });
    expect(await queue.getCounts()).toMatchObject({ completed: 1, waiting: 0, active: 0 });
  });

  it('reuses a completed job until ttl, with cached: true and the same id', async () => {
    const queue = h.queue();
    let runs = 0;
    await h.pool(async () => ({ n: ++runs })).start();
    const cache = { key: 'k', ttl: DAY };
    const first = await queue.add('page', { a: 1 }, { cache });
    expect(first.cached).toBe(false);
    expect(await queue.waitForResult(first.id)).toEqual({ n: 1 });
    const second = await queue.add('page', { a: 1 }, { cache });
    expect(second).toMatchObject({ id: first.id, cached: true, duplicate: false });
    expect(await queue.waitForResult(second.id)).toEqual({ n: 1 });
    // Another key runs, and a job without cache says cached: false.
    const other = await queue.add('page', {}, { cache: { key: 'other', ttl: DAY } });
    expect(other.cached).toBe(false);
    expect(await queue.waitForResult(other.id)).toEqual({ n: 2 });
    expect((await queue.add('page', {})).cached).toBe(false);
  });

  it('a hit after retention trimmed the job gives the result, from the cached copy', async () => {
    const queue = h.queue();
    let runs = 0;
    await h.pool(async () => ({ n: ++runs })).start();
    const cache = { key: 'trimmed', ttl: DAY };
    // removeOnComplete: true keeps nothing: the job is gone as it completes.
    const first = await queue.add('page', {}, { cache, removeOnComplete: true });
    expect(await queue.waitForResult(first.id)).toEqual({ n: 1 });
    await until(async () => (await queue.getJob(first.id)) === null, 'the job trimmed');
    const again = await queue.add('page', {}, { cache, removeOnComplete: true });
    expect(again).toMatchObject({ id: first.id, cached: true });
    expect(await queue.waitForResult(again.id, { timeout: 5000 })).toEqual({ n: 1 });
    expect(await queue.getJob(again.id)).toMatchObject({ state: 'completed', result: { n: 1 } });
    expect(runs).toBe(1);
    // Trimmed by count too: the restored job is kept, then trimmed, and the copy still answers.
    const keep = { count: 1 };
    const a = await queue.add(
      'page',
      {},
      { cache: { key: 'a', ttl: DAY }, removeOnComplete: keep },
    );
    await queue.waitForResult(a.id);
    const b = await queue.add('page', {}, { removeOnComplete: keep });
    await queue.waitForResult(b.id);
    await until(async () => (await queue.getJob(a.id)) === null, 'a trimmed by count');
    const hit = await queue.add('page', {}, { cache: { key: 'a', ttl: DAY } });
    expect(hit).toMatchObject({ id: a.id, cached: true });
    expect(await queue.waitForResult(hit.id)).toEqual({ n: 2 });
  });

  it('a failed job is not reused: the next add runs anew', async () => {
    const queue = h.queue();
    let runs = 0;
    await h
      .pool(
        async () => {
          runs++;
          if (runs === 1) throw new Error('boom');
          return { n: runs };
        },
        { attempts: 1 },
      )
      .start();
    const cache = { key: 'fails', ttl: DAY };
    const first = await queue.add('page', {}, { cache });
    await expect(queue.waitForResult(first.id)).rejects.toBeInstanceOf(JobFailedError);
    expect(await entryExists(queue, 'fails')).toBe(false);
    const second = await queue.add('page', {}, { cache });
    expect(second.cached).toBe(false);
    expect(second.id).not.toBe(first.id);
    expect(await queue.waitForResult(second.id)).toEqual({ n: 2 });
    expect((await queue.add('page', {}, { cache })).id).toBe(second.id);
  });

  it('a cancelled or removed job is not reused', async () => {
    const queue = h.queue();
    const cache = { key: 'cancelled', ttl: DAY };
    const first = await queue.add('page', {}, { cache, delay: 60_000 });
    expect((await queue.add('page', {}, { cache })).id).toBe(first.id);
    await queue.cancel(first.id);
    expect(await entryExists(queue, 'cancelled')).toBe(false);
    const second = await queue.add('page', {}, { cache, delay: 60_000 });
    expect(second).toMatchObject({ cached: false });
    expect(second.id).not.toBe(first.id);
    await queue.removeJob(second.id);
    expect(await entryExists(queue, 'cancelled')).toBe(false);
    const third = await queue.add('page', {}, { cache, delay: 60_000 });
    expect(third.cached).toBe(false);
    expect(third.id).not.toBe(second.id);
    const client = rawClient();
    try {
      expect(await client.hget(queueKeysOf(queue).cache('cancelled'), 'i')).toBe(third.id);
    } finally {
      await client.quit();
    }
  });

  it('a job whose pool died and whose attempts are spent (stalled) is not reused', async () => {
    const queue = h.queue();
    const cache = { key: 'stalled', ttl: DAY };
    const child = await startPoolProcess({
      url: redisUrl(),
      prefix: h.prefix,
      leaseDuration: 1000,
    });
    children.push(child);
    const first = await queue.add('page', { ms: 60_000 }, { cache, attempts: 1 });
    await child.waitFor((m) => m.type === 'started' && m.jobId === first.id, 'started', 30_000);
    await child.kill();
    expect((await queue.add('page', {}, { cache })).id).toBe(first.id);
    // A pool of this process takes the expired lease over: out of attempts, the job fails.
    const pool = h.pool(async () => 'ran again');
    await pool.start();
    await expect(queue.waitForResult(first.id, { timeout: 20_000 })).rejects.toBeInstanceOf(
      JobFailedError,
    );
    // Forgotten by the script that failed it, not only passed over by the next add.
    expect(await entryExists(queue, 'stalled')).toBe(false);
    const next = await queue.add('page', {}, { cache });
    expect(next.cached).toBe(false);
    expect(await queue.waitForResult(next.id, { timeout: 10_000 })).toBe('ran again');
  });

  it('ttl expiry gives a fresh run; the entry expires (memory stays bounded)', async () => {
    const queue = h.queue();
    let runs = 0;
    await h.pool(async () => ({ n: ++runs })).start();
    const cache = { key: 'short', ttl: 300 };
    const first = await queue.add('page', {}, { cache });
    expect(await queue.waitForResult(first.id)).toEqual({ n: 1 });
    const client = rawClient();
    try {
      const entry = queueKeysOf(queue).cache('short');
      const pttl = await client.pttl(entry);
      expect(pttl).toBeGreaterThan(0);
      expect(pttl).toBeLessThanOrEqual(300);
      await until(async () => (await client.exists(entry)) === 0, 'the entry to expire');
    } finally {
      await client.quit();
    }
    const second = await queue.add('page', {}, { cache });
    expect(second.cached).toBe(false);
    expect(await queue.waitForResult(second.id)).toEqual({ n: 2 });
  });

  it('addBatch items use the cache: a completed job fills its item at once, an unfinished one when it ends', async () => {
    const queue = h.queue();
    const release = deferred();
    let runs = 0;
    await h
      .pool(async (job) => {
        runs++;
        if ((job.data as { slow?: boolean }).slow) await release.promise;
        return { text: (job.data as { text: string }).text };
      })
      .start();
    const done = await queue.add('page', { text: 'one' }, { cache: { key: 'p1', ttl: DAY } });
    await queue.waitForResult(done.id);
    const slow = await queue.add(
      'page',
      { text: 'two', slow: true },
      { cache: { key: 'p2', ttl: DAY } },
    );
    const batch = await queue.addBatch([
      { name: 'page', data: { text: 'one' }, opts: { cache: { key: 'p1', ttl: DAY } } },
      { name: 'page', data: { text: 'two' }, opts: { cache: { key: 'p2', ttl: DAY } } },
      { name: 'page', data: { text: 'three' }, opts: { cache: { key: 'p3', ttl: DAY } } },
      { name: 'page', data: { text: 'three' }, opts: { cache: { key: 'p3', ttl: DAY } } },
      { name: 'page', data: { text: 'four' } },
    ]);
    expect(batch.jobs.map((j) => j.cached)).toEqual([true, true, false, true, false]);
    expect(batch.jobs[0]?.id).toBe(done.id);
    expect(batch.jobs[1]?.id).toBe(slow.id);
    expect(batch.jobs[3]?.id).toBe(batch.jobs[2]?.id);
    await sleep(200);
    expect(await queue.getBatch(batch.id)).toMatchObject({ done: false });
    release.resolve();
    const result = await queue.waitForBatch(batch.id, { timeout: 10_000 });
    expect(result.completed).toBe(5);
    expect(result.items.map((i) => (i.state === 'completed' ? i.result : i.state))).toEqual([
      { text: 'one' },
      { text: 'two' },
      { text: 'three' },
      { text: 'three' },
      { text: 'four' },
    ]);
    // one, two, three, four: the hits ran nothing.
    expect(runs).toBe(4);
  });

  it('a batch item that joined an unfinished job gets its failure', async () => {
    const queue = h.queue();
    await h
      .pool(
        async () => {
          throw new Error('no');
        },
        { attempts: 1 },
      )
      .start();
    await queue.pause();
    const first = await queue.add('page', {}, { cache: { key: 'bad', ttl: DAY } });
    const batch = await queue.addBatch([
      { name: 'page', data: {}, opts: { cache: { key: 'bad', ttl: DAY } } },
    ]);
    expect(batch.jobs[0]).toMatchObject({ id: first.id, cached: true });
    await queue.resume();
    const result = await queue.waitForBatch(batch.id, { timeout: 10_000 });
    expect(result.failed).toBe(1);
    expect(result.items[0]).toMatchObject({ state: 'failed', error: { message: 'no' } });
  });

  it('jobId dedup comes first; a cache hit returns the cached job, not the jobId', async () => {
    const queue = h.queue();
    const cache = { key: 'both', ttl: DAY };
    const a = await queue.add('page', {}, { jobId: 'page-a', cache, delay: 60_000 });
    expect(a).toMatchObject({ id: 'page-a', cached: false, duplicate: false });
    const again = await queue.add('page', {}, { jobId: 'page-a', cache });
    expect(again).toMatchObject({ id: 'page-a', duplicate: true, cached: false });
    const b = await queue.add('page', {}, { jobId: 'page-b', cache });
    expect(b).toMatchObject({ id: 'page-a', duplicate: false, cached: true });
    expect(await queue.getJob('page-b')).toBeNull();
  });

  it('counts hits and misses in getMetrics()', async () => {
    const queue = h.queue();
    const cache = { key: 'm', ttl: DAY };
    await queue.add('page', {}, { cache, delay: 60_000 });
    await queue.addBulk([
      { name: 'page', data: {}, opts: { cache } },
      { name: 'page', data: {}, opts: { cache } },
      { name: 'page', data: {}, opts: { cache: { key: 'n', ttl: DAY } } },
      { name: 'page', data: {} },
    ]);
    expect(await cacheCounts(queue)).toEqual({ hits: 2, misses: 2 });
  });

  it('a job without cache writes no cache key and no cache counter', async () => {
    const queue = h.queue();
    await h.pool(async () => 'ok').start();
    const job = await queue.add('page', {});
    await queue.waitForResult(job.id);
    const client = rawClient();
    try {
      const keys = await client.keys(`${h.prefix}:*`);
      expect(keys.length).toBeGreaterThan(3);
      expect(keys.filter((k) => /\}:(cache:|metrics:cache-)/.test(k))).toEqual([]);
      expect(await client.hexists(queueKeysOf(queue).job(job.id), 'ck')).toBe(0);
    } finally {
      await client.quit();
    }
    expect(await cacheCounts(queue)).toEqual({ hits: 0, misses: 0 });
  });

  describe('bad input', () => {
    const cases: [string, unknown, typeof OptionTypeError | typeof OptionRangeError, string][] = [
      [
        'not an object',
        'k',
        OptionTypeError,
        'Expected `opts.cache` to be a plain object, got `k` (string)',
      ],
      [
        'no key',
        { ttl: 1000 },
        OptionTypeError,
        'Expected `opts.cache.key` to be a string, got `undefined`',
      ],
      [
        'an empty key',
        { key: '', ttl: 1000 },
        OptionRangeError,
        'Expected `opts.cache.key` to be a non-empty string, got `""` (empty string)',
      ],
      [
        'a key over 512 bytes',
        { key: 'é'.repeat(257), ttl: 1000 },
        OptionRangeError,
        'Expected `opts.cache.key` to be at most 512 bytes long, got 514 bytes',
      ],
      [
        'no ttl',
        { key: 'k' },
        OptionTypeError,
        'Expected `opts.cache.ttl` to be an integer from 1 to 9007199254740991, got `undefined`',
      ],
      ['a ttl of 0', { key: 'k', ttl: 0 }, OptionRangeError, 'got `0` (number)'],
      ['a NaN ttl', { key: 'k', ttl: NaN }, OptionRangeError, 'got `NaN` (number)'],
      ['a negative ttl', { key: 'k', ttl: -5 }, OptionRangeError, 'got `-5` (number)'],
      ['an Infinity ttl', { key: 'k', ttl: Infinity }, OptionRangeError, 'got `Infinity` (number)'],
      ['a string ttl', { key: 'k', ttl: '1000' }, OptionTypeError, 'got `1000` (string)'],
      ['an unknown field', { key: 'k', ttl: 1, tll: 2 }, OptionTypeError, 'Unknown option `tll`'],
    ];
    it.each(cases)('refuses %s, naming the option', async (_what, cache, Kind, message) => {
      const queue = h.queue();
      const error = await queue.add('page', {}, { cache: cache as never }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(Kind);
      expect((error as Error).message).toContain(message);
      expect(await queue.getCounts()).toMatchObject({ waiting: 0 });
    });

    it('names the item of addBatch, and refuses cache in defaultJobOptions', async () => {
      const queue = h.queue();
      await expect(
        queue.addBatch([
          { name: 'page', data: {} },
          { name: 'page', data: {}, opts: { cache: { key: 'k', ttl: 0 } } },
        ]),
      ).rejects.toThrow(
        'Expected `jobs[1].opts.cache.ttl` to be an integer from 1 to 9007199254740991, got `0` (number)',
      );
      expect(() =>
        h.queue('q', { defaultJobOptions: { cache: { key: 'k', ttl: 1 } } as never }),
      ).toThrow(OptionTypeError);
      // A then job is added by the script that ends its batch: it has no cache.
      await expect(
        queue.addBatch([{ name: 'page', data: {} }], {
          then: { name: 'page', data: {}, opts: { cache: { key: 'k', ttl: 1 } } },
        }),
      ).rejects.toThrow('`then.opts.cache` cannot be set on a then job');
    });
  });
  it('one add call with caches, costs and groups together keeps each job its own', async () => {
    const queue = h.queue();
    const seen: { data: unknown; group: string | undefined }[] = [];
    await h
      .pool(
        async (job) => {
          seen.push({ data: job.data, group: job.group });
          return { n: (job.data as { n: number }).n };
        },
        { limiter: { max: 1000, duration: 60_000, by: 'cost' } },
      )
      .start();
    const added = await queue.addBulk([
      {
        name: 'page',
        data: { n: 1 },
        opts: { cache: { key: 'a', ttl: DAY }, cost: 30, group: 'g1' },
      },
      { name: 'page', data: { n: 2 }, opts: { cost: 50 } },
      { name: 'page', data: { n: 3 }, opts: { cache: { key: 'b', ttl: DAY } } },
    ]);
    expect(added.map((a) => a.cached)).toEqual([false, false, false]);
    expect(await Promise.all(added.map((a) => queue.waitForResult(a.id)))).toEqual([
      { n: 1 },
      { n: 2 },
      { n: 3 },
    ]);
    expect(seen.find((s) => (s.data as { n: number }).n === 1)?.group).toBe('g1');
    // 30 + 50 + 1 (the default cost) charged to the window.
    const client = rawClient();
    try {
      const buckets = await client.hgetall(queueKeysOf(queue).costWindow(60_000));
      const charged = Object.entries(buckets)
        .filter(([field]) => /^\d+$/.test(field))
        .reduce((sum, [, value]) => sum + Number(value), 0);
      expect(charged).toBe(81);
    } finally {
      await client.quit();
    }
    const again = await queue.add('page', { n: 1 }, { cache: { key: 'a', ttl: DAY }, cost: 30 });
    expect(again).toMatchObject({ id: added[0]!.id, cached: true });
  });
});
