import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { addEbook, waitForEbook } from '../../examples/ebook/ebook.js';
import { testPlan, useEbookQueue } from '../support/ebook.js';
import { echoPage, startMockOpenAI, type MockOpenAI } from '../support/mock-openai.js';
import { redisUrl } from '../support/redis.js';

const root = join(import.meta.dirname, '..', '..');
const fixture = join(root, 'test', 'fixtures', 'ebook-page-worker.ts');

/** Start the page-handler pool fixture under tsx, and wait until it is ready. */
async function startWorker(config: Record<string, unknown>): Promise<ChildProcess> {
  const child = fork(fixture, [JSON.stringify(config)], {
    cwd: root,
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, TSX_TSCONFIG_PATH: join(root, 'tsconfig.run.json') },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('worker not ready within 30 s')), 30_000);
    child.on('message', (m) => {
      if ((m as { type?: string }).type !== 'ready') return;
      clearTimeout(timer);
      resolve();
    });
    child.once('exit', (code) => reject(new Error(`worker exited early (${code})`)));
  });
  return child;
}

describe('the shared rate limit, across processes', () => {
  const h = useEbookQueue('ebook-limit');
  const children: ChildProcess[] = [];
  let mock: MockOpenAI | undefined;

  afterEach(async () => {
    await Promise.all(
      children.splice(0).map(
        (child) =>
          new Promise((resolve) => {
            if (child.exitCode !== null) return resolve(undefined);
            child.once('exit', resolve);
            child.kill('SIGTERM');
          }),
      ),
    );
    await mock?.close();
  });

  it('holds across 3 processes: at most `max` requests reach the API in any window', async () => {
    mock = await startMockOpenAI(echoPage(100));
    const limiter = { max: 3, duration: 2000 };
    // 2 slots each: 6 slots in all, twice what the limit lets start in a window.
    const base = {
      url: redisUrl(),
      prefix: h.prefix,
      queue: 'ebook',
      baseURL: mock.url,
      concurrency: 2,
      limiter,
    };
    children.push(
      ...(await Promise.all(['a', 'b', 'c'].map((tag) => startWorker({ ...base, tag })))),
    );
    const queue = h.queue();
    const meta = await addEbook(queue, testPlan(12));
    const ebook = await waitForEbook(queue, meta.id, { timeout: 60_000 });
    expect(ebook.progress).toMatchObject({ completed: 12, failed: 0 });
    ebook.pages.forEach((p, i) =>
      expect(p.state === 'completed' && p.result.text).toBe(`Text of page ${i + 1}.`),
    );

    const times = mock.requests.map((r) => r.at).sort((a, b) => a - b);
    expect(times).toHaveLength(12);
    // Counted at the API: the (max+1)-th request after any request comes at least a window later,
    // less the spread of the time from a claim in Redis to its request reaching the mock (which
    // reached 300 ms on a loaded 2-core machine). Without the shared limit, all 12 come at once.
    const slack = 600;
    for (let i = 0; i + limiter.max < times.length; i++) {
      const inWindow = times.filter(
        (t) => t >= times[i]! && t < times[i]! + limiter.duration - slack,
      );
      expect(inWindow.length, `requests in the window from request ${i + 1}`).toBeLessThanOrEqual(
        limiter.max,
      );
    }
    // 12 requests at 3 per window need at least 3 full windows.
    expect(times.at(-1)! - times[0]!).toBeGreaterThanOrEqual(3 * limiter.duration - slack);
    // More than one process took part (the limit is shared, not one pool doing it all).
    const tags = new Set(mock.requests.map((r) => r.headers['x-test-worker']));
    expect(tags.size).toBeGreaterThanOrEqual(2);
  });
});
