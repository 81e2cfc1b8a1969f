/**
 * The dashboard in a real browser: Debian's Chromium driven by
 * playwright-core. Each test has its own key prefix on the test Redis, and
 * fails on any console error, uncaught exception or alert() of the page.
 */
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RateLimitError, UnrecoverableError } from '../../src/index.js';
import { useHarness } from '../support/harness.js';
import { redisUrl, sleep, until } from '../support/redis.js';
import { launchBrowser, openPage, serveDashboard } from './support.js';

const XSS = '<img src=x onerror=alert(1)>';

describe('the dashboard in a browser', () => {
  let browser: Browser;
  let problems: string[] = [];
  // Registered before the harness, so it runs after the harness closed everything.
  afterEach(() => {
    const seen = problems;
    problems = [];
    // No console error, exception or alert in any test.
    expect(seen).toEqual([]);
  });
  const h = useHarness('web');
  let context: BrowserContext | undefined;
  // Runs before the harness closes the servers: a page open then would log a broken stream.
  afterEach(async () => {
    await context?.close();
    context = undefined;
  });

  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  /** Chromium logs the 403 of a refused fetch: the one error these tests expect, once. */
  function expectRefusalLogged() {
    const index = problems.findIndex((p) => p.includes('status of 403'));
    expect(index).toBeGreaterThanOrEqual(0);
    problems.splice(index, 1);
  }

  async function open(options: { readOnly?: boolean; queues?: string[] } = {}, hash = '') {
    const served = h.track(
      await serveDashboard({
        connection: redisUrl(),
        prefix: h.prefix,
        queues: options.queues ?? ['q'],
        readOnly: options.readOnly ?? false,
        refreshInterval: 200,
      }),
    );
    const opened = await openPage(browser);
    context = opened.page.context();
    problems = opened.problems;
    await opened.page.goto(`${served.url}${hash}`);
    return { ...served, page: opened.page };
  }

  it('moves the counts live while a pool works, and shows the pool', async () => {
    const queue = h.queue();
    await queue.addBulk(Array.from({ length: 30 }, (_, i) => ({ name: 'page', data: { i } })));
    const { page } = await open();
    const count = (state: string) => page.locator(`#counts [data-state="${state}"] .n`);
    await expect.poll(() => count('waiting').textContent()).toBe('30');
    await expect.poll(() => count('completed').textContent()).toBe('0');

    const pool = h.pool(
      async () => {
        await sleep(100);
        return 'ok';
      },
      { concurrency: 2 },
    );
    await pool.start();
    // Seen part-way: some done, some still to do.
    await expect
      .poll(async () => {
        const done = Number(await count('completed').textContent());
        return done > 0 && done < 30;
      })
      .toBe(true);
    await expect.poll(() => count('completed').textContent(), { timeout: 15_000 }).toBe('30');
    await expect.poll(() => count('waiting').textContent()).toBe('0');
    await expect
      .poll(() => page.locator('#pools tbody tr td:nth-child(2)').first().textContent())
      .toBe(String(process.pid));
    // The throughput chart counts this minute's jobs (or the last two, across a minute's turn).
    await expect
      .poll(() => page.locator('#chart-total').textContent())
      .toMatch(/30 completed, 0 failed/);
  });

  it('retries a failed job after confirmation, and shows it complete', async () => {
    const queue = h.queue();
    let healthy = false;
    const pool = h.pool(async () => {
      if (!healthy) throw new UnrecoverableError('The model refused the prompt');
      return { text: 'a page' };
    });
    await pool.start();
    const job = await queue.add('page', { title: 'Bees' });
    await until(async () => (await queue.getJob(job.id))?.state === 'failed', 'the job to fail');
    healthy = true;

    const { page } = await open({}, `#state=failed`);
    await page.locator(`#job-list tbody tr[data-id="${job.id}"] button`).click();
    await expect
      .poll(() => page.locator('#job-error').textContent())
      .toContain('The model refused');
    await page.locator('#job-actions [data-action="retry"]').click();
    // The confirmation dialog: cancelling does nothing...
    await expect.poll(() => page.locator('#confirm').isVisible()).toBe(true);
    expect(await page.locator('#confirm-text').textContent()).toContain(job.id);
    await page.locator('#confirm button[value="cancel"]').click();
    await sleep(300);
    expect((await queue.getJob(job.id))?.state).toBe('failed');
    // ...confirming retries it, and the page follows it to `completed`.
    await page.locator('#job-actions [data-action="retry"]').click();
    await page.locator('#confirm-ok').click();
    await expect
      .poll(() => page.locator('#job-fields').textContent(), { timeout: 10_000 })
      .toContain('completed');
    await expect.poll(() => page.locator('#job-result').textContent()).toContain('a page');
    expect((await queue.getJob(job.id))?.state).toBe('completed');
  });

  it('cancels an active job after confirmation: it fails with JobCancelledError, its signal aborted', async () => {
    const queue = h.queue();
    let signal: AbortSignal | undefined;
    const pool = h.pool(async (_job, { signal: aborted }) => {
      signal = aborted;
      // Wait on the signal only: the job ends when it is cancelled.
      await new Promise<void>((resolve) => aborted.addEventListener('abort', () => resolve()));
      return 'too late';
    });
    await pool.start();
    const job = await queue.add('page', { title: 'Wasps' });
    await until(async () => (await queue.getJob(job.id))?.state === 'active', 'the job to start');

    const { page } = await open({}, `#state=active&job=${job.id}`);
    await expect.poll(() => page.locator('#job-fields').textContent()).toContain('active');
    await page.locator('#job-actions [data-action="cancel"]').click();
    await expect.poll(() => page.locator('#confirm').isVisible()).toBe(true);
    expect(await page.locator('#confirm-text').textContent()).toContain(job.id);
    await page.locator('#confirm-ok').click();
    await expect
      .poll(() => page.locator('#job-fields').textContent(), { timeout: 10_000 })
      .toContain('failed');
    await expect
      .poll(() => page.locator('#job-error').textContent())
      .toContain('JobCancelledError');
    const failed = await queue.getJob(job.id);
    expect(failed?.state).toBe('failed');
    expect(failed?.error?.name).toBe('JobCancelledError');
    expect(signal?.aborted).toBe(true);
    expect((signal?.reason as Error | undefined)?.name).toBe('JobCancelledError');
  });

  it('shows the rate-limit hold beside the pause state', async () => {
    const queue = h.queue();
    const pool = h.pool(async () => {
      throw new RateLimitError(60_000, '429 Too Many Requests');
    });
    await queue.add('page', {});
    await pool.start();
    await until(async () => (await queue.getCounts()).rateLimitedUntil !== undefined, 'the hold');
    const { page } = await open();
    await expect.poll(() => page.locator('#paused').textContent()).toBe('running');
    await expect.poll(() => page.locator('#rate-limit').isVisible()).toBe(true);
    expect(await page.locator('#rate-limit').textContent()).toMatch(
      /^rate limited for \d+ s more$/,
    );
  });

  it("lists the groups, pauses one after confirmation, and shows a job's group", async () => {
    const queue = h.queue();
    const [job] = await queue.addBulk([
      { name: 'page', data: {}, opts: { group: 'tenant-a' } },
      { name: 'page', data: {}, opts: { group: 'tenant-b' } },
    ]);
    const { page } = await open({}, `#state=waiting&job=${job!.id}`);
    await expect.poll(() => page.locator('#job-fields').textContent()).toContain('tenant-a');
    const row = page.locator('#groups tbody tr[data-group="tenant-a"]');
    await expect.poll(() => row.locator('td:nth-child(4)').textContent()).toBe('running');
    await row.locator('[data-action="pauseGroup"]').click();
    await expect.poll(() => page.locator('#confirm').isVisible()).toBe(true);
    expect(await page.locator('#confirm-text').textContent()).toContain('tenant-a');
    await page.locator('#confirm-ok').click();
    await expect.poll(() => row.locator('td:nth-child(4)').textContent()).toBe('paused');
    expect((await queue.getGroupCounts('tenant-a')).paused).toBe(true);
    expect((await queue.getGroupCounts('tenant-b')).paused).toBe(false);
    // Resumed from the keyboard: the button is reachable and Enter presses it.
    await row.locator('[data-action="resumeGroup"]').focus();
    await page.keyboard.press('Enter');
    await page.locator('#confirm-ok').click();
    await expect.poll(() => row.locator('td:nth-child(4)').textContent()).toBe('running');
    expect((await queue.getGroupCounts('tenant-a')).paused).toBe(false);
  });

  it('shows an HTML payload, name and error as text, never as markup', async () => {
    const queue = h.queue();
    const pool = h.pool(async () => {
      throw new UnrecoverableError(XSS);
    });
    const job = await queue.add(XSS, { html: XSS, [XSS]: 1 });
    await pool.start();
    await until(async () => (await queue.getJob(job.id))?.state === 'failed', 'the job to fail');

    const { page } = await open({}, `#state=failed&job=${encodeURIComponent(job.id)}`);
    await expect.poll(() => page.locator('#job-data').textContent()).toContain(XSS);
    expect(await page.locator('#job-error').textContent()).toContain(XSS);
    expect(await page.locator('#job-fields').textContent()).toContain(XSS);
    const row = page.locator(`#job-list tbody tr[data-id="${job.id}"]`);
    expect(await row.textContent()).toContain(XSS);
    // No element was made from the payload, and nothing ran (the afterEach checks for alerts).
    expect(await page.locator('img').count()).toBe(0);
    await sleep(300);
  });

  it('pauses and resumes the queue after confirmation', async () => {
    const queue = h.queue();
    const { page } = await open();
    await page.locator('#queue-actions [data-action="pause"]').click();
    await page.locator('#confirm-ok').click();
    await expect.poll(() => page.locator('#paused').textContent()).toBe('paused');
    expect(await queue.isPaused()).toBe(true);
    await page.locator('#queue-actions [data-action="resume"]').click();
    await page.locator('#confirm-ok').click();
    await expect.poll(() => page.locator('#paused').textContent()).toBe('running');
    expect(await queue.isPaused()).toBe(false);
  });

  it('refuses an action the page sends without its CSRF token', async () => {
    const queue = h.queue();
    const { page } = await open();
    await page.locator('#queue-actions [data-action="pause"]').waitFor();
    const status = await page.evaluate(async () => {
      const response = await fetch('api/queues/q/actions/pause', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      return response.status;
    });
    expect(status).toBe(403);
    expect(await queue.isPaused()).toBe(false);
    expectRefusalLogged();
  });

  it('shows no action in readOnly, and the server refuses them even with the CSRF token', async () => {
    const queue = h.queue();
    const pool = h.pool(async () => {
      throw new UnrecoverableError('no');
    });
    const job = await queue.add('page', {});
    await pool.start();
    await until(async () => (await queue.getJob(job.id))?.state === 'failed', 'the job to fail');
    const { page } = await open({ readOnly: true }, `#state=failed&job=${job.id}`);
    await expect.poll(() => page.locator('#job-error').textContent()).toContain('no');
    await expect.poll(() => page.locator('#paused').textContent()).toBe('running');
    expect(await page.locator('button[data-action]').count()).toBe(0);
    const csrf = (await page.locator('meta[name="csrf-token"]').getAttribute('content')) ?? '';
    const status = await page.evaluate(
      async ([id, csrf]) => {
        const response = await fetch('api/queues/q/actions/retry', {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
          body: JSON.stringify({ id }),
        });
        return response.status;
      },
      [job.id, csrf] as const,
    );
    expect(status).toBe(403);
    expect((await queue.getJob(job.id))?.state).toBe('failed');
    expectRefusalLogged();
  });

  it('finds a job by id, pages through a state, and works from the keyboard', async () => {
    const queue = h.queue();
    const added = await queue.addBulk(
      Array.from({ length: 120 }, (_, i) => ({ name: 'page', data: { i } })),
    );
    const { page } = await open({}, '#state=waiting');
    await expect.poll(() => page.locator('#jobs-range').textContent()).toBe('1–50 of 120 waiting');
    // Newest first: the last added is at the top.
    expect(await page.locator('#job-list tbody tr').first().getAttribute('data-id')).toBe(
      added[119]!.id,
    );
    await page.locator('#next').click();
    await expect
      .poll(() => page.locator('#jobs-range').textContent())
      .toBe('51–100 of 120 waiting');
    await page.locator('#next').click();
    await expect
      .poll(() => page.locator('#jobs-range').textContent())
      .toBe('101–120 of 120 waiting');
    expect(await page.locator('#job-list tbody tr').last().getAttribute('data-id')).toBe(
      added[0]!.id,
    );
    expect(await page.locator('#next').isDisabled()).toBe(true);

    // The keyboard: type an id in the search box, Enter opens it, Escape closes it.
    await page.locator('#search-id').focus();
    await page.keyboard.type(added[7]!.id);
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('#job-id').textContent()).toBe(added[7]!.id);
    expect(await page.locator('#job-data').textContent()).toContain('"i": 7');
    await page.keyboard.press('Escape');
    await expect.poll(() => page.locator('#job').isHidden()).toBe(true);
    // Arrow keys move between the state tabs.
    await page.locator('#tab-waiting').focus();
    await page.keyboard.press('ArrowRight');
    await expect
      .poll(() => page.locator('#tab-delayed').getAttribute('aria-selected'))
      .toBe('true');
    await expect.poll(() => page.evaluate('document.activeElement?.id')).toBe('tab-delayed');
    // An id that does not exist says so.
    await page.locator('#search-id').fill('no-such-job');
    await page.locator('#search-id').press('Enter');
    await expect
      .poll(() => page.locator('#toast').textContent())
      .toContain('No job with id no-such-job');
  });

  it('shows a batch with the state of each item', async () => {
    const queue = h.queue();
    const pool = h.pool(async (job) => {
      const data = job.data as { i: number };
      if (data.i === 1) throw new UnrecoverableError('page 1 failed');
      return `page ${data.i}`;
    });
    const batch = await queue.addBatch(
      Array.from({ length: 3 }, (_, i) => ({ name: 'page', data: { i } })),
    );
    await pool.start();
    await queue.waitForBatch(batch.id, { timeout: 10_000 });
    const { page } = await open({}, `#batch=${encodeURIComponent(batch.id)}`);
    await expect
      .poll(() => page.locator('#batch-summary').textContent())
      .toContain('2 completed, 1 failed, 0 pending of 3');
    const states = await page.locator('#batch-items tbody tr td:nth-child(2)').allTextContents();
    expect(states).toEqual(['completed', 'failed', 'completed']);
    expect(await page.locator('#batch-items tbody').textContent()).toContain('page 1 failed');
  });

  it('with a token, signs in with the form, keeps the session, and signs out', async () => {
    const queue = h.queue();
    await queue.add('page', {});
    const token = 'a-token-for-the-browser-test';
    const served = h.track(
      await serveDashboard({ connection: redisUrl(), prefix: h.prefix, queues: ['q'], token }),
    );
    const opened = await openPage(browser);
    context = opened.page.context();
    const page = opened.page;
    problems = opened.problems;
    await page.goto(served.url);
    expect(await page.locator('#counts').count()).toBe(0);
    await page.locator('#token').fill('not-the-right-token-at-all');
    await page.locator('button[type="submit"]').click();
    await expect.poll(() => page.locator('.error').textContent()).toContain('not the right one');
    await page.locator('#token').fill(token);
    await page.locator('button[type="submit"]').click();
    await expect
      .poll(() => page.locator('#counts [data-state="waiting"] .n').textContent())
      .toBe('1');
    const [cookie] = await context.cookies();
    expect(cookie).toMatchObject({ name: 'rwp_dashboard', httpOnly: true, sameSite: 'Strict' });
    await page.reload();
    await expect.poll(() => page.locator('#live').textContent()).toBe('live');
    await page.locator('.signout button').click();
    await expect.poll(() => page.locator('#token').count()).toBe(1);
    expect(await context.cookies()).toEqual([]);
  });

  it('fits a phone-width window without horizontal scrolling', async () => {
    h.queue();
    const served = h.track(
      await serveDashboard({ connection: redisUrl(), prefix: h.prefix, queues: ['q'] }),
    );
    const opened = await openPage(browser, { width: 375, height: 740 });
    context = opened.page.context();
    problems = opened.problems;
    await opened.page.goto(served.url);
    await opened.page.locator('#counts li').first().waitFor();
    const overflow = await opened.page.evaluate(
      'document.documentElement.scrollWidth - document.documentElement.clientWidth',
    );
    expect(overflow).toBeLessThanOrEqual(0);
  });
});
