import { describe, expect, it } from 'vitest';
import {
  JobFailedError,
  Queue,
  OptionRangeError,
  OptionTypeError,
  PayloadTooLargeError,
  SerializationError,
  UnrecoverableError,
  type Job,
} from '../../src/index.js';
import { queueKeysOf } from '../../src/internal.js';
import { NO_LIMITER } from '../../src/limiter.js';
import { queueKeys } from '../../src/redis/keys.js';
import type { JobToAdd } from '../../src/redis/protocol/add.js';
import type { MoveRequest } from '../../src/redis/protocol/move.js';
import { encodeThenJob } from '../../src/redis/protocol/then-job.js';
import { Scripts } from '../../src/redis/scripts.js';
import { useHarness } from '../support/harness.js';
import { rawClient, sleep, until } from '../support/redis.js';

type Jobs = {
  page: { data: { index: number }; result: string };
  assemble: { data: { ebookId: string }; result: string };
};

const pages = (n: number) =>
  Array.from({ length: n }, (_, index) => ({ name: 'page' as const, data: { index } }));

describe('addBatch(items, { then }): a job added when the batch ends', () => {
  const h = useHarness('then');

  it('runs once after every item completed, and its handler reads the batch by job.parentBatchId', async () => {
    const queue = h.queue<Jobs>();
    const seen: { job: Job; results: unknown[]; done: boolean | undefined }[] = [];
    const pool = h.pool<Jobs>(
      {
        page: async (job) => `p${job.data.index}`,
        assemble: async (job) => {
          const batchId = job.parentBatchId ?? '';
          const results = await queue.getBatchResults<string>(batchId);
          seen.push({ job, results, done: (await queue.getBatch(batchId))?.done });
          return results.map((r) => (r.state === 'completed' ? r.result : '?')).join(',');
        },
      },
      { concurrency: 4 },
    );
    const batch = await queue.addBatch(pages(5), {
      batchId: 'book',
      then: { name: 'assemble', data: { ebookId: 'e1' } },
    });
    // Not added before the batch ends.
    expect((await queue.getCounts()).waiting).toBe(5);
    await pool.start();
    await queue.waitForBatch(batch.id, { timeout: 20_000 });
    await until(async () => seen.length > 0, 'the then job to run');
    const thenJobId = (await queue.getBatch('book'))?.thenJobId;
    expect(thenJobId).toBeDefined();
    expect(await queue.waitForResult(thenJobId ?? '', { timeout: 10_000 })).toBe('p0,p1,p2,p3,p4');
    await sleep(200);
    expect(seen).toHaveLength(1);
    expect(seen[0]?.job).toMatchObject({
      id: thenJobId,
      name: 'assemble',
      data: { ebookId: 'e1' },
      parentBatchId: 'book',
    });
    // The user's data is left as given: the batch id is not merged into it.
    expect(seen[0]?.job.data).toEqual({ ebookId: 'e1' });
    expect(seen[0]?.job.batchId).toBeUndefined();
    expect(seen[0]?.done).toBe(true);
    // Not counted in the batch.
    expect(await queue.getBatch('book')).toMatchObject({ total: 5, completed: 5, failed: 0 });
    expect(await queue.getJob(thenJobId ?? '')).toMatchObject({
      state: 'completed',
      parentBatchId: 'book',
    });
    // The spec is gone from the batch hash once the job is added.
    const client = rawClient();
    const keys = queueKeysOf(queue);
    expect(await client.hget(keys.batch('book'), 'th')).toBeNull();
    await client.quit();
  });

  it('runs after a mix of completed, failed and cancelled items, which it can tell apart', async () => {
    const queue = h.queue<Jobs>();
    const batch = await queue.addBatch(pages(4), {
      then: { name: 'assemble', data: { ebookId: 'e2' } },
    });
    const [, second, third] = batch.jobs;
    await queue.cancel(third?.id ?? '', { reason: 'not wanted' });
    let summary: unknown;
    const pool = h.pool<Jobs>(
      {
        page: async (job) => {
          if (job.id === second?.id) throw new UnrecoverableError('bad page');
          return `p${job.data.index}`;
        },
        assemble: async (job) => {
          const items = await queue.getBatchResults(job.parentBatchId ?? '');
          summary = items.map((item) => (item.state === 'failed' ? item.error.code : item.state));
          return 'ok';
        },
      },
      { concurrency: 2, attempts: 1 },
    );
    await pool.start();
    const done = await queue.waitForBatch(batch.id, { timeout: 20_000 });
    expect(done).toMatchObject({ completed: 2, failed: 2 });
    await until(async () => summary !== undefined, 'the then job to run');
    expect(summary).toEqual(['completed', 'ERR_UNRECOVERABLE', 'ERR_JOB_CANCELLED', 'completed']);
  });

  it('runs when every item is cancelled with cancelBatch, and cancelBatch leaves it alone', async () => {
    const queue = h.queue<Jobs>();
    // Data that JSON escapes, nested in the spec's JSON, comes back as given.
    const ebookId = 'e3 é🐝 "quoted" \\ \u2028 \ud800';
    const batch = await queue.addBatch(pages(3), {
      then: { name: 'assemble', data: { ebookId } },
    });
    expect(await queue.cancelBatch(batch.id)).toBe(3);
    const progress = await queue.getBatch(batch.id);
    expect(progress).toMatchObject({ failed: 3, done: true });
    expect(progress?.thenJobId).toBeDefined();
    // A second cancelBatch finds nothing unfinished in the batch: the then job is not one of its jobs.
    expect(await queue.cancelBatch(batch.id)).toBe(0);
    expect(await queue.getJob(progress?.thenJobId ?? '')).toMatchObject({
      state: 'waiting',
      name: 'assemble',
      parentBatchId: batch.id,
    });
    const pool = h.pool<Jobs>({
      page: async () => 'never',
      assemble: async (job) => `assembled ${job.data.ebookId}`,
    });
    await pool.start();
    expect(await queue.waitForResult(progress?.thenJobId ?? '', { timeout: 10_000 })).toBe(
      `assembled ${ebookId}`,
    );
  });

  it('takes job options: a delay from when the batch ends, attempts and a jobId', async () => {
    const queue = h.queue<Jobs>();
    const batch = await queue.addBatch(pages(1), {
      then: {
        name: 'assemble',
        data: { ebookId: 'e4' },
        opts: { delay: 60_000, attempts: 2, jobId: 'assemble-e4' },
      },
    });
    await queue.cancelBatch(batch.id);
    expect((await queue.getBatch(batch.id))?.thenJobId).toBe('assemble-e4');
    const info = await queue.getJob('assemble-e4');
    expect(info).toMatchObject({ state: 'delayed', maxAttempts: 2, parentBatchId: batch.id });
    expect((info?.dueAt ?? 0) - (info?.createdAt ?? 0)).toBe(60_000);
  });

  it('takes a group: the then job waits and runs in its group', async () => {
    const queue = h.queue<Jobs>();
    const batch = await queue.addBatch(pages(2), {
      then: { name: 'assemble', data: { ebookId: 'g' }, opts: { group: 'tenant-a' } },
    });
    await queue.cancelBatch(batch.id);
    const thenJobId = (await queue.getBatch(batch.id))?.thenJobId ?? '';
    expect(await queue.getJob(thenJobId)).toMatchObject({ state: 'waiting', group: 'tenant-a' });
    expect(await queue.getGroupCounts('tenant-a')).toMatchObject({ waiting: 1 });
    const groups: (string | undefined)[] = [];
    const pool = h.pool<Jobs>({
      page: async () => 'never',
      assemble: async (job) => {
        groups.push(job.group);
        return 'ok';
      },
    });
    await pool.start();
    expect(await queue.waitForResult(thenJobId, { timeout: 10_000 })).toBe('ok');
    expect(groups).toEqual(['tenant-a']);
  });

  it('a then job whose name has no handler fails with ERR_NO_HANDLER; the batch is unaffected', async () => {
    const queue = h.queue();
    const batch = await queue.addBatch(
      [
        { name: 'page', data: { index: 0 } },
        { name: 'page', data: { index: 1 } },
      ],
      { then: { name: 'nobody-handles-this', data: null } },
    );
    const pool = h.pool({ page: async (job: Job<{ index: number }>) => job.data.index });
    await pool.start();
    const done = await queue.waitForBatch(batch.id, { timeout: 20_000 });
    const thenJobId = (await queue.getBatch(batch.id))?.thenJobId ?? '';
    const error = await queue.waitForResult(thenJobId, { timeout: 10_000 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(JobFailedError);
    expect((error as JobFailedError).cause).toMatchObject({ code: 'ERR_NO_HANDLER' });
    expect(done).toMatchObject({ total: 2, completed: 2, failed: 0 });
    expect(await queue.getBatch(batch.id)).toMatchObject({ total: 2, completed: 2, failed: 0 });
    expect((await queue.getBatchResults(batch.id)).map((r) => r.state)).toEqual([
      'completed',
      'completed',
    ]);
  });

  it('is not added again when a failed item is retried and the batch ends a second time', async () => {
    const queue = h.queue<Jobs>();
    const batch = await queue.addBatch(pages(1), {
      then: { name: 'assemble', data: { ebookId: 'e5' } },
    });
    await queue.cancelBatch(batch.id);
    const first = (await queue.getBatch(batch.id))?.thenJobId;
    await queue.retryJob(batch.jobs[0]?.id ?? '');
    expect((await queue.getBatch(batch.id))?.done).toBe(false);
    const pool = h.pool<Jobs>({
      page: async () => 'again',
      assemble: async () => 'assembled',
    });
    await pool.start();
    await queue.waitForBatch(batch.id, { timeout: 20_000 });
    await queue.waitForResult(first ?? '', { timeout: 10_000 });
    await sleep(200);
    expect((await queue.getBatch(batch.id))?.thenJobId).toBe(first);
    const counts = await queue.getCounts();
    // The page (retried, then completed) and one then job.
    expect(counts).toMatchObject({ completed: 2, waiting: 0, delayed: 0, active: 0 });
  });

  it('refuses a then spec that is not valid, naming the option, and adds nothing', async () => {
    const queue = h.queue<Jobs>('q', { maxPayloadSize: 1024 });
    const add = (then: unknown) =>
      queue.addBatch(pages(1), { batchId: 'bad', then: then as never });
    const refusal = async (then: unknown) =>
      add(then).then(
        () => undefined,
        (e: unknown) => e as Error,
      );
    const noName = await refusal({ data: {} });
    expect(noName).toBeInstanceOf(OptionTypeError);
    expect(noName?.message).toBe('Expected `then.name` to be a string, got `undefined`');
    const numberName = await refusal({ name: 5 });
    expect(numberName).toBeInstanceOf(OptionTypeError);
    expect(numberName?.message).toBe('Expected `then.name` to be a string, got `5` (number)');
    const emptyName = await refusal({ name: ' ' });
    expect(emptyName).toBeInstanceOf(OptionRangeError);
    const notJson = await refusal({ name: 'assemble', data: { at: () => 1 } });
    expect(notJson).toBeInstanceOf(SerializationError);
    expect(notJson?.message).toBe(
      'Then job data cannot be stored as JSON: `then.data.at` is a function',
    );
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(await refusal({ name: 'assemble', data: cyclic })).toBeInstanceOf(SerializationError);
    const big = await refusal({ name: 'assemble', data: 'x'.repeat(2000) });
    expect(big).toBeInstanceOf(PayloadTooLargeError);
    expect(big?.message).toContain('Then job data');
    const typo = await refusal({ name: 'assemble', date: {} });
    expect(typo?.message).toBe(
      'Unknown option `date` in `then`; did you mean `data`? Known options: `name`, `data`, `opts`',
    );
    const badDelay = await refusal({ name: 'assemble', opts: { delay: -1 } });
    expect(badDelay).toBeInstanceOf(OptionRangeError);
    expect(badDelay?.message).toMatch(
      /^Expected `then.opts.delay` to be an integer .*, got `-1` \(number\)$/,
    );
    // Nothing was added by any of them.
    expect(await queue.getBatch('bad')).toBeNull();
    expect(await queue.getCounts()).toMatchObject({ waiting: 0 });
  });

  it('is added once when the report that ends the batch is sent again, as a replay or a new call', async () => {
    const client = rawClient();
    const keys = queueKeys(h.prefix, 'q');
    const scripts = new Scripts(client, keys);
    const item: JobToAdd = {
      id: undefined,
      name: 'page',
      data: '{}',
      runOptions: '',
      maxAttempts: undefined,
      keepCompleted: '0:-1', // removed as it completes: nothing left on the job to check against
      keepFailed: '-1:-1',
      delay: 0,
      batchIndex: 0,
    };
    const then = encodeThenJob('b1', { ...item, name: 'assemble', data: '{"e":1}' });
    await scripts.add({ id: 'b1', total: 1, ttl: 60, meta: '', then, first: true }, [item]);
    const move = (overrides: Partial<MoveRequest>): MoveRequest => ({
      leaseDuration: 30_000,
      claim: 0,
      tokenPrefix: 'pool.1',
      reclaim: false,
      defaultAttempts: 4,
      limiter: NO_LIMITER,
      reports: [],
      ...overrides,
    });
    const claim = await scripts.move(move({ claim: 1, tokenPrefix: 'pool.1' }));
    const report = {
      id: '1',
      token: claim.claimed[0]?.token ?? '',
      kind: 'completed' as const,
      payload: '"done"',
      attempt: 1,
      startedAt: Date.now(),
      delay: 0,
      keep: '0:-1',
      batchId: 'b1',
      batchIndex: 0,
    };
    const first = await scripts.move(move({ tokenPrefix: 'pool.2', reports: [report] }));
    // ioredis resends the same call after a reconnection: a replay.
    const replayed = await scripts.move(move({ tokenPrefix: 'pool.2', reports: [report] }));
    // The pool retries a report in a later call: its lease is gone, its job too.
    const later = await scripts.move(move({ tokenPrefix: 'pool.3', reports: [report] }));
    expect([first.statuses, replayed.statuses]).toEqual([['ok'], ['ok']]);
    expect(later.statuses).toEqual(['stale']);
    expect(await client.hget(keys.meta, 'seq')).toBe('2');
    expect(await client.lrange(keys.wait, 0, -1)).toEqual(['2']);
    expect(await client.hmget(keys.batch('b1'), 'completed', 'tj', 'th')).toEqual(['1', '2', null]);
    const claimedThen = await scripts.move(move({ claim: 5, tokenPrefix: 'pool.4' }));
    expect(claimedThen.claimed.map((c) => c.job)).toEqual([
      expect.objectContaining({ id: '2', name: 'assemble', data: { e: 1 }, parentBatchId: 'b1' }),
    ]);
    await client.quit();
  });

  it('is added once for a batch added in several calls, one of which failed', async () => {
    const client = rawClient();
    const queue = h.track(
      new Queue<Jobs>('q', { connection: client, prefix: h.prefix, logger: false }),
    );
    // The first call runs and its reply is lost; the second fails before it is sent (ioredis
    // would send it later): its items are failed in the batch, and its late resend adds nothing.
    const target = client as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
    const name = Object.keys(target).find((key) => key.startsWith('rwp_add_')) ?? '';
    const original = target[name] as (...args: unknown[]) => Promise<unknown>;
    let resend: (() => Promise<unknown>) | undefined;
    let calls = 0;
    target[name] = function (this: unknown, ...args: unknown[]) {
      calls++;
      if (calls === 1)
        return original.apply(this, args).then(() => Promise.reject(new Error('reply lost')));
      if (calls === 2) {
        resend = () => original.apply(this, args);
        return Promise.reject(new Error('Connection is closed.'));
      }
      return original.apply(this, args);
    };
    await expect(
      queue.addBatch(pages(1500), {
        batchId: 'chunks',
        then: { name: 'assemble', data: { ebookId: 'c' } },
      }),
    ).rejects.toThrow('reply lost');
    expect(await queue.getBatch('chunks')).toMatchObject({ total: 1500, failed: 500 });
    await resend?.();
    let assembled = 0;
    const pool = h.pool<Jobs>(
      {
        page: async (job) => `p${job.data.index}`,
        assemble: async (job) => {
          assembled++;
          const items = await queue.getBatchResults(job.parentBatchId ?? '');
          return `${items.filter((item) => item.state === 'completed').length} pages`;
        },
      },
      { concurrency: 50 },
    );
    await pool.start();
    await queue.waitForBatch('chunks', { timeout: 60_000 });
    const thenJobId = (await queue.getBatch('chunks'))?.thenJobId ?? '';
    expect(await queue.waitForResult(thenJobId, { timeout: 10_000 })).toBe('1000 pages');
    await sleep(200);
    expect(assembled).toBe(1);
    expect(await queue.getCounts()).toMatchObject({ waiting: 0, delayed: 0, active: 0 });
    // 1000 items added (the 500 of the failed call never were) and one then job.
    expect(await client.hget(queueKeysOf(queue).meta, 'seq')).toBe('1001');
  });

  it('is added by the settling of a chunk that failed, when that ends the batch', async () => {
    const client = rawClient();
    const queue = h.track(
      new Queue<Jobs>('q', { connection: client, prefix: h.prefix, logger: false }),
    );
    // A batch of 1001 items: the second call (one item) fails. The first chunk's items are
    // cancelled, so the item that was never added is what ends the batch (settle-batch-chunk).
    const target = client as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
    const name = Object.keys(target).find((key) => key.startsWith('rwp_add_')) ?? '';
    const original = target[name] as (...args: unknown[]) => Promise<unknown>;
    let calls = 0;
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    target[name] = function (this: unknown, ...args: unknown[]) {
      calls++;
      if (calls === 2) return held.then(() => Promise.reject(new Error('Connection is closed.')));
      return original.apply(this, args);
    };
    const adding = queue.addBatch(pages(1001), {
      batchId: 'last-settled',
      then: { name: 'assemble', data: { ebookId: 's' } },
    });
    await until(async () => (await queue.getBatch('last-settled')) !== null, 'the first chunk');
    expect(await queue.cancelBatch('last-settled')).toBe(1000);
    expect(await queue.getBatch('last-settled')).toMatchObject({ failed: 1000, done: false });
    expect((await queue.getBatch('last-settled'))?.thenJobId).toBeUndefined();
    release();
    await expect(adding).rejects.toThrow('Connection is closed.');
    const progress = await queue.getBatch('last-settled');
    expect(progress).toMatchObject({ failed: 1001, done: true });
    expect(await queue.getJob(progress?.thenJobId ?? '')).toMatchObject({
      name: 'assemble',
      state: 'waiting',
      parentBatchId: 'last-settled',
    });
    const results = await queue.getBatchResults('last-settled');
    expect(results[1000]).toMatchObject({ state: 'failed', error: { code: 'ERR_JOB_NOT_ADDED' } });
  });
});
