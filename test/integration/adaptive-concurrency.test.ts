import { afterEach, describe, expect, it } from 'vitest';
import { RateLimitError, type ConcurrencyChange } from '../../src/index.js';
import { runCli } from '../support/cli.js';
import { useHarness } from '../support/harness.js';
import { reply, startMockOpenAI, type MockOpenAI } from '../support/mock-openai.js';
import { memoryLogger, redisUrl, until } from '../support/redis.js';

type Jobs = { page: { data: { n: number }; result: string } };

/** Requests the mock has not answered yet (the one asking included). */
function inFlight(mock: MockOpenAI): number {
  return mock.requests.filter((r) => r.answeredAt === undefined && r.abortedAt === undefined)
    .length;
}

/** A server that answers 429 at once when more than `hidden` requests are in flight, else after `delay` ms. */
async function hiddenLimitServer(hidden: number, delay: number): Promise<MockOpenAI> {
  const mock = await startMockOpenAI();
  mock.setScript(() =>
    inFlight(mock) > hidden ? reply.rateLimited(0) : reply.completion('ok', { delay }),
  );
  return mock;
}

/** The page handler: one call to the mock; a 429 becomes a RateLimitError. */
function handlers(mock: MockOpenAI) {
  return {
    page: async (job: { data: { n: number } }, { signal }: { signal: AbortSignal }) => {
      const response = await fetch(`${mock.url}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ messages: [{ role: 'user', content: `page ${job.data.n}` }] }),
        signal,
      });
      const body = await response.text();
      if (response.status === 429) throw new RateLimitError(0, '429 Too Many Requests');
      if (!response.ok) throw new Error(`HTTP ${response.status}: ${body}`);
      return body;
    },
  };
}

/** Every change follows the previous one, stays in bounds, and goes the way its reason says. */
function expectConsistent(changes: ConcurrencyChange[], min: number, max: number): void {
  let current = min;
  for (const change of changes) {
    expect(change.from).toBe(current);
    expect(change.to).toBeGreaterThanOrEqual(min);
    expect(change.to).toBeLessThanOrEqual(max);
    if (change.reason === 'healthy') expect(change.to).toBeGreaterThan(change.from);
    else expect(change.to).toBeLessThan(change.from);
    current = change.to;
  }
}

describe('adaptive concurrency', () => {
  const h = useHarness('adaptive');
  let mock: MockOpenAI | undefined;
  afterEach(async () => {
    await mock?.close();
    mock = undefined;
  });

  it('rises from min toward a hidden limit, is cut on 429s, and says so in stats, events, the heartbeat and status', async () => {
    const HIDDEN = 8;
    mock = await hiddenLimitServer(HIDDEN, 200);
    const queue = h.queue<Jobs>('pages');
    const logger = memoryLogger();
    const pool = h.pool<Jobs>(
      handlers(mock),
      { concurrency: { min: 1, max: 32 }, logger, statsInterval: 500 },
      'pages',
    );
    const changes: ConcurrencyChange[] = [];
    pool.on('concurrency', (change) => changes.push(change));
    await queue.addBulk(Array.from({ length: 600 }, (_, n) => ({ name: 'page', data: { n } })));
    expect(pool.stats()).toMatchObject({ concurrency: 1, minConcurrency: 1, maxConcurrency: 32 });
    await pool.start();

    await until(() => changes.some((c) => c.reason === 'rateLimited'), 'a cut after a 429', 90_000);
    await until(
      () => changes.filter((c) => c.reason === 'healthy').length >= 8,
      'the limit to rise again after the cut',
      90_000,
    );
    expect(changes[0]).toEqual({ from: 1, to: 2, reason: 'healthy' });
    expectConsistent(changes, 1, 32);
    // It found the hidden limit: it went past it (the 429s) and came back under it.
    expect(Math.max(...changes.map((c) => c.to))).toBeGreaterThan(HIDDEN);
    const cut = changes.find((c) => c.reason === 'rateLimited')!;
    expect(cut.to).toBeLessThan(cut.from);
    // Counted once Redis has the report: a moment after the cut.
    await until(() => pool.stats().rateLimited > 0, 'a rate-limited attempt in the stats');
    expect(pool.stats().concurrency).toBe(changes.at(-1)!.to);

    // The [Stats] line and the heartbeat carry the figure.
    await until(
      () => logger.lines.some((l) => /\[Stats\].*\| Concurrency: \d+ \(1-32\)$/.test(l)),
      'a [Stats] line with the concurrency',
    );
    await until(
      async () => (await queue.getPools()).some((p) => p.maxConcurrency === 32),
      'a heartbeat with the adaptive bounds',
      15_000,
    );
    const [info] = await queue.getPools();
    expect(info).toMatchObject({ minConcurrency: 1, maxConcurrency: 32 });
    expect(info!.concurrency).toBeGreaterThanOrEqual(1);
    expect(info!.concurrency).toBeLessThanOrEqual(32);

    const args = ['--queue', 'pages', '--prefix', h.prefix, '--redis-url', redisUrl()];
    const status = await runCli(['status', ...args]);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/\s\d+ \(1-32\)\s/);
    const json = JSON.parse((await runCli(['status', '--json', ...args])).stdout);
    expect(json.pools[0]).toMatchObject({ minConcurrency: 1, maxConcurrency: 32 });
  }, 180_000);

  it('does not grow without a backlog to use it', async () => {
    mock = await hiddenLimitServer(100, 20);
    const queue = h.queue<Jobs>();
    const pool = h.pool<Jobs>(handlers(mock), { concurrency: { min: 2, max: 16 } });
    const changes: ConcurrencyChange[] = [];
    pool.on('concurrency', (change) => changes.push(change));
    await pool.start();
    // Never more than two jobs at a time: 30 healthy answers would take a pool
    // with a backlog to its max; this one may take one step past what it saw
    // at once (it cannot know nothing else waits without asking), no more.
    for (let round = 0; round < 15; round++) {
      const jobs = await Promise.all([0, 1].map((n) => queue.add('page', { n })));
      for (const job of jobs) await queue.waitForResult(job.id, { timeout: 30_000 });
    }
    expectConsistent(changes, 2, 16);
    expect(changes.length).toBeLessThanOrEqual(1);
    expect(pool.stats().concurrency).toBeLessThanOrEqual(3);
  }, 120_000);

  it('cuts on timeouts, never under min', async () => {
    const queue = h.queue<Jobs>();
    const pool = h.pool<Jobs>(
      {
        // Pages from 1000 on hang until their timeout aborts them.
        page: (job, { signal }) =>
          new Promise<string>((resolve, reject) => {
            if (job.data.n < 1000) setTimeout(() => resolve('ok'), 20);
            else signal.addEventListener('abort', () => reject(signal.reason as Error));
          }),
      },
      { concurrency: { min: 2, max: 8 } },
    );
    const changes: ConcurrencyChange[] = [];
    pool.on('concurrency', (change) => changes.push(change));
    await pool.start();
    await queue.addBulk(Array.from({ length: 400 }, (_, n) => ({ name: 'page', data: { n } })));
    await until(() => pool.stats().concurrency === 8, 'the limit to reach max', 60_000);
    const hanging = await queue.addBulk(
      Array.from({ length: 30 }, (_, i) => ({
        name: 'page',
        data: { n: 1000 + i },
        opts: { timeout: 200, attempts: 1 },
      })),
    );
    await until(
      async () =>
        (await Promise.all(hanging.map((j) => queue.getJob(j.id)))).every(
          (j) => j?.state === 'failed',
        ),
      'every hanging job to time out',
      60_000,
    );
    expectConsistent(changes, 2, 8);
    const cuts = changes.filter((c) => c.reason === 'timeout');
    expect(cuts.length).toBeGreaterThan(0);
    expect(changes.at(-1)?.to).toBe(2);
    expect(pool.stats().concurrency).toBe(2);
  }, 120_000);
});
