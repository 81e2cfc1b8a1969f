/**
 * The ebook page (`npm run ebook:api` at `/`) in Debian's Chromium, end to
 * end: the HTTP API and a worker pool on the test Redis, the pages written by
 * the mock OpenAI server, slowly enough that each state can be seen. Every
 * test fails on any console error, uncaught exception or alert() of the page.
 */
import { readFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createEbookPageHandler,
  createOutlinePlanner,
  generatorConfigFromEnv,
} from '../../examples/ebook/generator.js';
import { createEbookApi } from '../../examples/http-api/ebook-api.js';
import { useEbookQueue } from '../support/ebook.js';
import { pageNumber, reply, startMockOpenAI, type MockOpenAI } from '../support/mock-openai.js';
import { launchBrowser, openPage } from './support.js';

const XSS = '<img src=x onerror=alert(1)>';

/** `expect.poll` with time for a page or two to be written (its default is 1 s). */
const poll = <T>(read: () => T | Promise<T>, options: { timeout: number } = { timeout: 10_000 }) =>
  expect.poll(read, options);

describe('the ebook page in a browser', () => {
  let browser: Browser;
  let problems: string[] = [];
  afterEach(() => {
    const seen = problems;
    problems = [];
    expect(seen).toEqual([]);
  });
  const h = useEbookQueue('ebook-page');
  let mock: MockOpenAI;
  let server: Server;
  let base: string;
  const contexts: BrowserContext[] = [];
  /** Ms each page takes at the mock. */
  let delay = 1200;

  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  beforeEach(async () => {
    delay = 1200;
    const attempts = new Map<number, number>();
    mock = await startMockOpenAI((request) => {
      const n = pageNumber(request);
      if (n === undefined) return reply.completion('No outline today.');
      const attempt = (attempts.get(n) ?? 0) + 1;
      attempts.set(n, attempt);
      if (n === 3 && attempt === 1) return reply.serverError(500, 'The mock is overloaded');
      if (n === 4) return reply.badRequest('The mock refuses page 4');
      return reply.completion(n === 2 ? XSS : `Text of page ${n}.`, { delay });
    });
    const config = {
      ...generatorConfigFromEnv({}),
      mode: 'openai' as const,
      apiKey: 'test-key',
      baseURL: mock.url,
      model: 'mock-small',
    };
    const queue = h.queue();
    const pool = h.pool({ page: createEbookPageHandler(config) }, { concurrency: 2, attempts: 3 });
    await pool.start();
    server = createEbookApi({
      queue,
      planOutline: createOutlinePlanner(config),
      models: ['mock-small', 'mock-large'],
      maxAttempts: 3,
      indexKey: `${h.prefix}:recent`,
      pagesInterval: 150,
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((c) => c.close()));
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await mock.close();
  });

  async function open(
    path: string,
    viewport?: { width: number; height: number },
    origin = base,
  ): Promise<Page> {
    const opened = await openPage(browser, viewport);
    contexts.push(opened.page.context());
    problems = opened.problems;
    await opened.page.goto(`${origin}${path}`);
    return opened.page;
  }

  async function addEbook(topic: string, pages: number): Promise<string> {
    const response = await fetch(`${base}/api/ebook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ topic, pages }),
    });
    expect(response.status).toBe(202);
    return ((await response.json()) as { id: string }).id;
  }

  const card = (page: Page, n: number) => page.locator(`#cards li[data-index="${n - 1}"]`);
  const stateOf = (page: Page, n: number) => card(page, n).locator('.state').textContent();

  it('writes an ebook from the form: each page through its states, then the ebook and its files', async () => {
    delay = 2000;
    const page = await open('/');
    // By keyboard: the topic has the focus, Tab reaches the pages and the model, Enter sends.
    await page.keyboard.type('Honey bees');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Control+A');
    await page.keyboard.type('5');
    await page.keyboard.press('Tab');
    await page.keyboard.press('ArrowDown'); // mock-large
    await page.locator('#topic').press('Enter');
    await page.waitForURL(/\/ebook\/\d+-[0-9a-f]+$/);

    await poll(() => page.locator('#cards li').count()).toBe(5);
    // Two pages at a time: page 5 waits while the first ones are written.
    await poll(() => stateOf(page, 5)).toBe('waiting');
    await poll(() => stateOf(page, 1)).toBe('writing');
    // Page 3 failed its first attempt: its second is shown with the error of the first.
    await poll(() => card(page, 3).locator('.attempt').textContent()).toBe('attempt 2 of 3');
    expect(await card(page, 3).locator('.page-error').textContent()).toContain(
      'The mock is overloaded',
    );
    await poll(() => stateOf(page, 4)).toBe('failed');
    expect(await card(page, 4).locator('.page-error').textContent()).toContain(
      'The mock refuses page 4',
    );
    await poll(() => stateOf(page, 1), { timeout: 15_000 }).toBe('done');
    await poll(() => page.locator('#ebook-state').textContent(), { timeout: 20_000 }).toBe(
      'finished with failures',
    );
    for (const n of [1, 2, 3, 5]) expect(await stateOf(page, n)).toBe('done');
    expect(await card(page, 1).locator('.text').textContent()).toBe('Text of page 1.');
    // The model's markup is text: on the card, and in the rendered ebook.
    expect(await card(page, 2).locator('.text').textContent()).toBe(XSS);
    expect(await page.locator('#rate').textContent()).toMatch(/5 of 5 pages .*pages\/min/);
    const book = page.frameLocator('#book');
    await poll(() => book.locator('#page-2').textContent()).toContain(XSS);
    expect(await book.locator('#page-2 img').count()).toBe(0);
    // The model picked in the form wrote the pages.
    expect(mock.requests.filter((r) => pageNumber(r) === 1).map((r) => r.body.model)).toEqual([
      'mock-large',
    ]);

    const download = async (link: string) => {
      const [file] = await Promise.all([page.waitForEvent('download'), page.click(link)]);
      return { name: file.suggestedFilename(), text: await readFile((await file.path())!, 'utf8') };
    };
    const md = await download('#download-md');
    expect(md.name).toMatch(/-\d+-[0-9a-f]+\.md$/);
    expect(md.text).toContain('Text of page 5.');
    expect(md.text).toContain('This page could not be generated');
    const html = await download('#download-html');
    expect(html.name).toMatch(/\.html$/);
    expect(html.text).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html.text).not.toContain(XSS);

    // The recent ebooks list it, with its state.
    const recent = page.locator('#recent-list li').first();
    await poll(() => recent.locator('.badge').textContent()).toBe('4 of 5 written, 1 failed');
  });

  it('shows the same state after a reload mid-way and in a second tab', async () => {
    delay = 1500;
    const id = await addEbook('Tides', 6);
    const page = await open(`/ebook/${id}`);
    await poll(() => stateOf(page, 1), { timeout: 10_000 }).toBe('done');
    await page.reload();
    // At once after the reload: page 1 done with its text, the rest still to come.
    await poll(() => stateOf(page, 1)).toBe('done');
    expect(await card(page, 1).locator('.text').textContent()).toBe('Text of page 1.');
    expect(await page.locator('#ebook-state').textContent()).toBe('writing');

    const second = await page.context().newPage();
    second.on('console', (m) => m.type() === 'error' && problems.push(`tab 2: ${m.text()}`));
    await second.goto(`${base}/ebook/${id}`);
    const title = await page.locator('#ebook-title').textContent();
    expect(title).toMatch(/Tides/);
    await poll(() => second.locator('#ebook-title').textContent()).toBe(title);
    await poll(() => stateOf(second, 1)).toBe('done');
    for (const tab of [page, second])
      await poll(() => tab.locator('#ebook-state').textContent(), { timeout: 20_000 }).toBe(
        'finished with failures',
      );
    expect(await stateOf(second, 6)).toBe('done');
  });

  it('cancels an ebook after confirmation, and its pages stop', async () => {
    // Long enough that page 1 is still being written when the cancel lands, on a busy machine too.
    delay = 6000;
    const id = await addEbook('Moths', 6);
    const page = await open(`/ebook/${id}`);
    await poll(() => stateOf(page, 1)).toBe('writing');
    // Escape keeps writing; the keyboard reaches the dialog's buttons.
    await page.locator('#cancel').click();
    await page.keyboard.press('Escape');
    await poll(() => page.locator('#confirm').isVisible()).toBe(false);
    expect(await stateOf(page, 1)).toBe('writing');
    await page.locator('#cancel').click();
    await page.locator('#confirm button[value="yes"]').click();
    await poll(() => page.locator('#ebook-state').textContent(), { timeout: 5000 }).toBe(
      'finished with failures',
    );
    for (const n of [1, 5, 6]) {
      // The cards follow the ebook's state on their next refresh.
      await poll(() => stateOf(page, n), { timeout: 5000 }).toBe('failed');
      expect(await card(page, n).locator('.page-error').textContent()).toMatch(/cancelled/);
    }
    const asked = mock.requests.filter((r) => pageNumber(r) !== undefined).length;
    await new Promise((resolve) => setTimeout(resolve, delay + 500));
    // No page was asked of the model after the cancel.
    expect(mock.requests.filter((r) => pageNumber(r) !== undefined).length).toBe(asked);
    expect(await page.locator('#cancel').isVisible()).toBe(false);
  });

  it('streams the text of a page into its card as it is written', async () => {
    // The offline generator reports each page in four parts (`ctx.progress({ text })`).
    const config = { ...generatorConfigFromEnv({}), offlineLatency: 3000 };
    const queue = h.queue('offline');
    await h.pool({ page: createEbookPageHandler(config) }, { concurrency: 1 }, 'offline').start();
    const api = createEbookApi({
      queue,
      planOutline: createOutlinePlanner(config),
      indexKey: `${h.prefix}:offline`,
      pagesInterval: 150,
    });
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
      const response = await fetch(`${url}/api/ebook`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ topic: 'Bats', pages: 1 }),
      });
      const { page: path } = (await response.json()) as { page: string };
      const page = await open(path, undefined, url);
      const text = card(page, 1).locator('.text');
      // Part of the page, while it is being written...
      await poll(
        async () => (await stateOf(page, 1)) === 'writing' && (await text.textContent()) !== '',
      ).toBe(true);
      const partial = (await text.textContent()) ?? '';
      await poll(() => stateOf(page, 1)).toBe('done');
      // ...then all of it.
      const whole = (await text.textContent()) ?? '';
      expect(whole.length).toBeGreaterThan(partial.length);
      expect(whole.startsWith(partial)).toBe(true);
    } finally {
      await Promise.all(contexts.splice(0).map((c) => c.close()));
      api.closeAllConnections();
      await new Promise((resolve) => api.close(resolve));
    }
  });

  it('reads well at phone width: nothing wider than the screen', async () => {
    const id = await addEbook('Owls', 3);
    const phone = { width: 375, height: 740 };
    for (const path of ['/', `/ebook/${id}`]) {
      const page = await open(path, phone);
      await page.locator('#recent-list li').first().waitFor();
      const width = Number(await page.evaluate('document.documentElement.scrollWidth'));
      expect(width).toBeLessThanOrEqual(phone.width);
    }
  });
});
