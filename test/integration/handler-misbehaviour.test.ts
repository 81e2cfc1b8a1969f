import { describe, expect, it } from 'vitest';
import { JobFailedError } from '../../src/index.js';
import { useHarness } from '../support/harness.js';

const failureOf = async (promise: Promise<unknown>) => {
  const error = await promise.catch((e: unknown) => e);
  expect(error).toBeInstanceOf(JobFailedError);
  return (error as JobFailedError).jobError;
};

describe('handlers that misbehave', () => {
  const h = useHarness('misbehave');

  it('turns a thrown string into a readable failure', async () => {
    const queue = h.queue();
    const pool = h.pool(
      async () => {
        throw 'quota exceeded';
      },
      { attempts: 1 },
    );
    await pool.start();
    const job = await queue.add('page', {});
    expect(await failureOf(queue.waitForResult(job.id, { timeout: 5000 }))).toMatchObject({
      name: 'NonErrorThrownError',
      code: 'ERR_NON_ERROR_THROWN',
      message: "Handler threw a non-Error value: 'quota exceeded'",
    });
  });

  it('fails an attempt whose result cannot be stored (a function, a BigInt), and retries it', async () => {
    const queue = h.queue();
    const pool = h.pool(
      async (job, { attempt }) => {
        if (attempt === 1) return job.data.kind === 'fn' ? { render: () => 'x' } : { tokens: 12n };
        return 'stored';
      },
      { backoff: { delay: 5, jitter: 0 } },
    );
    const retried: string[] = [];
    pool.on('retrying', ({ error }) => retried.push(error.message));
    await pool.start();
    const jobs = await queue.addBulk([
      { name: 'p', data: { kind: 'fn' } },
      { name: 'p', data: { kind: 'bigint' } },
    ]);
    for (const job of jobs)
      expect(await queue.waitForResult(job.id, { timeout: 5000 })).toBe('stored');
    expect(retried.sort()).toEqual([
      'The handler result cannot be stored as JSON: `result.render` is a function',
      'The handler result cannot be stored as JSON: `result.tokens` is a BigInt (store it as a string)',
    ]);
  });

  it('treats a synchronous throw like a rejection', async () => {
    const queue = h.queue();
    const pool = h.pool(
      (() => {
        throw new RangeError('sync boom');
      }) as never,
      { attempts: 1 },
    );
    await pool.start();
    const job = await queue.add('page', {});
    expect(await failureOf(queue.waitForResult(job.id, { timeout: 5000 }))).toMatchObject({
      name: 'RangeError',
      message: 'sync boom',
    });
  });

  it('accepts a handler that returns a plain value, or nothing', async () => {
    const queue = h.queue();
    const pool = h.pool(((job: { data: { n?: number } }) =>
      job.data.n === undefined ? undefined : job.data.n * 2) as never);
    await pool.start();
    const [a, b] = await queue.addBulk([
      { name: 'p', data: { n: 21 } },
      { name: 'p', data: {} },
    ]);
    expect(await queue.waitForResult(a!.id, { timeout: 5000 })).toBe(42);
    expect(await queue.waitForResult(b!.id, { timeout: 5000 })).toBeNull();
  });

  it('keeps the pool working after every kind of bad handler', async () => {
    const queue = h.queue();
    const pool = h.pool(
      async (job) => {
        switch (job.data.kind) {
          case 'string':
            throw 'str';
          case 'null':
            throw null;
          case 'hang':
            return new Promise(() => {});
          case 'symbol':
            return Symbol('s');
          default:
            return 'fine';
        }
      },
      { attempts: 1, timeout: 100 },
    );
    await pool.start();
    const bad = await queue.addBulk(
      ['string', 'null', 'hang', 'symbol'].map((kind) => ({ name: 'p', data: { kind } })),
    );
    for (const job of bad)
      await expect(queue.waitForResult(job.id, { timeout: 5000 })).rejects.toThrow(JobFailedError);
    const good = await queue.add('p', { kind: 'ok' });
    expect(await queue.waitForResult(good.id, { timeout: 5000 })).toBe('fine');
    expect(pool.stats()).toMatchObject({ failed: 4, succeeded: 1, active: 0 });
  });
});
