import type { AddressInfo } from 'node:net';
import { request, type Server } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createEbookPageHandler,
  createOutlinePlanner,
  generatorConfigFromEnv,
} from '../../examples/ebook/generator.js';
import { createEbookApi } from '../../examples/http-api/ebook-api.js';
import { useEbookQueue } from '../support/ebook.js';
import { until } from '../support/redis.js';

/** Read a server-sent event stream until `done` (or `error`); returns the events in order. */
async function readEvents(
  url: string,
): Promise<{ event: string; data: Record<string, unknown> }[]> {
  const response = await fetch(url, { signal: AbortSignal.timeout(20_000) });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const events: { event: string; data: Record<string, unknown> }[] = [];
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of response.body!) {
    buffer += decoder.decode(chunk as Uint8Array, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (event && data) events.push({ event, data: JSON.parse(data) });
    }
    if (events.some((e) => e.event === 'done' || e.event === 'error')) break;
  }
  return events;
}

describe('the ebook HTTP API (offline generator)', () => {
  const h = useEbookQueue('ebook-api');
  let server: Server;
  let base: string;
  let pool: ReturnType<typeof h.pool>;

  beforeEach(async () => {
    const config = { ...generatorConfigFromEnv({}), offlineLatency: 60 };
    const queue = h.queue();
    pool = h.pool({ page: createEbookPageHandler(config) }, { concurrency: 3 });
    await pool.start();
    server = createEbookApi({ queue, planOutline: createOutlinePlanner(config), maxPages: 20 });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const post = (body: unknown, contentType = 'application/json') =>
    fetch(`${base}/api/ebook`, {
      method: 'POST',
      headers: { 'content-type': contentType },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  it('adds an ebook, streams its progress, then returns its pages in order', async () => {
    const created = await post({ topic: 'Honey bees', pages: 6 });
    expect(created.status).toBe(202);
    const {
      id,
      events: eventsUrl,
      status: statusUrl,
    } = (await created.json()) as Record<string, string>;
    expect(id).toMatch(/^\d+-[0-9a-f]+$/);

    const events = await readEvents(`${base}${eventsUrl}`);
    const last = events.at(-1)!;
    expect(last).toMatchObject({
      event: 'done',
      data: { id, total: 6, completed: 6, failed: 0, done: true },
    });
    const progress = events
      .filter((e) => e.event === 'progress')
      .map((e) => Number(e.data.completed));
    expect(progress.length).toBeGreaterThan(0);
    expect([...progress].sort((a, b) => a - b)).toEqual(progress);
    // Pages being written: each page's state and text so far, with its index.
    const written = events.filter((e) => e.event === 'page' && e.data.state === 'writing');
    expect(written.length).toBeGreaterThan(0);
    for (const page of written) {
      expect(Number(page.data.index)).toBeLessThan(6);
      expect(typeof page.data.text === 'string' || page.data.text === undefined).toBe(true);
    }
    expect(written.some((p) => typeof p.data.text === 'string' && p.data.text !== '')).toBe(true);

    const response = await fetch(`${base}${statusUrl}`);
    expect(response.status).toBe(200);
    const ebook = (await response.json()) as {
      done: boolean;
      pages: { index: number; state: string; text: string }[];
    };
    expect(ebook.done).toBe(true);
    expect(ebook.pages.map((p) => p.index)).toEqual([0, 1, 2, 3, 4, 5]);
    ebook.pages.forEach((p, i) => {
      expect(p.state).toBe('completed');
      expect(p.text).toContain(`Placeholder page ${i + 1} of 6`);
    });
  });

  it('reports progress without pages while the ebook is being written', async () => {
    pool.pause(); // nothing gets written: the ebook stays in progress
    const { id } = (await (await post({ topic: 'Tides', pages: 20 })).json()) as { id: string };
    const body = (await (await fetch(`${base}/api/ebook/${id}`)).json()) as Record<string, unknown>;
    expect(body).toMatchObject({ id, topic: 'Tides', total: 20, done: false });
    expect(body.pages).toBeUndefined();
  });

  it("puts each client's ebook in a group of its own, from the X-Client-Id header or the client field", async () => {
    const queue = h.queue();
    pool.pause();
    const fromHeader = await fetch(`${base}/api/ebook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-client-id': 'acme' },
      body: JSON.stringify({ topic: 'Bees', pages: 3 }),
    });
    expect(fromHeader.status).toBe(202);
    expect((await post({ topic: 'Ants', pages: 2, client: 'globex' })).status).toBe(202);
    expect(await queue.getGroupCounts('client:acme')).toMatchObject({ waiting: 3 });
    expect(await queue.getGroupCounts('client:globex')).toMatchObject({ waiting: 2 });
    const bad = await post({ topic: 'x', pages: 1, client: '{slot}' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/`X-Client-Id` or `client`/);
    pool.resume();
    await until(
      async () => (await queue.getGroupCounts('client:acme')).completed === 3,
      "acme's pages",
    );
  });

  it('DELETE /api/ebook/:id cancels the unfinished pages; the ebook ends with them failed', async () => {
    pool.pause(); // nothing runs: every page is still waiting when the ebook is cancelled
    const { id } = (await (await post({ topic: 'Tides', pages: 5 })).json()) as { id: string };
    const response = await fetch(`${base}/api/ebook/${id}`, { method: 'DELETE' });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ id, cancelled: 5 });
    const body = (await (await fetch(`${base}/api/ebook/${id}`)).json()) as Record<string, unknown>;
    expect(body).toMatchObject({ id, total: 5, failed: 5, done: true });
    const missing = await fetch(`${base}/api/ebook/nope`, { method: 'DELETE' });
    expect(missing.status).toBe(404);
  });

  /** A request with headers that `fetch` would not let us set (`Origin`, `Sec-Fetch-Site`), as a browser sends them. */
  const rawRequest = (
    method: string,
    path: string,
    headers: Record<string, string>,
    body?: string,
  ): Promise<{ status: number; body: string }> =>
    new Promise((resolve, reject) => {
      const req = request(`${base}${path}`, { method, headers }, (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on('error', reject);
      req.end(body);
    });

  it("refuses to add or cancel an ebook from another site's page, and takes both from its own", async () => {
    pool.pause();
    const json = { 'content-type': 'application/json' };
    const topic = JSON.stringify({ topic: 'Tides', pages: 3 });
    const host = new URL(base).host;
    const crossSite = await rawRequest('POST', '/api/ebook', {
      ...json,
      origin: 'https://evil.example',
    });
    expect(crossSite.status).toBe(403);
    expect(JSON.parse(crossSite.body)).toEqual({
      error: 'Refused: the request comes from another origin',
    });
    const sameOrigin = await rawRequest(
      'POST',
      '/api/ebook',
      { ...json, origin: `http://${host}`, 'sec-fetch-site': 'same-origin' },
      topic,
    );
    expect(sameOrigin.status).toBe(202);
    const { id } = JSON.parse(sameOrigin.body) as { id: string };

    const refused = [
      await rawRequest('DELETE', `/api/ebook/${id}`, { origin: 'https://evil.example' }),
      await rawRequest('DELETE', `/api/ebook/${id}`, { 'sec-fetch-site': 'cross-site' }),
      await rawRequest('DELETE', `/api/ebook/${id}`, { 'sec-fetch-site': 'same-site' }),
    ];
    expect(refused.map((r) => r.status)).toEqual([403, 403, 403]);
    expect(JSON.parse(refused[1]!.body)).toEqual({
      error: 'Refused: a cross-site request (Sec-Fetch-Site) may not change anything',
    });
    // None of them cancelled anything (a claim already on its way when the pool paused may
    // have written a page, never failed one).
    const before = await h.queue().getBatch(id);
    expect(before).toMatchObject({ total: 3, failed: 0 });
    expect(before!.pending).toBeGreaterThanOrEqual(2);

    const cancelled = await rawRequest('DELETE', `/api/ebook/${id}`, {
      origin: `http://${host}`,
      'sec-fetch-site': 'same-origin',
    });
    expect(cancelled.status).toBe(200);
    expect(JSON.parse(cancelled.body)).toEqual({ id, cancelled: before!.pending });
    expect(await h.queue().getBatch(id)).toMatchObject({
      total: 3,
      failed: before!.pending,
      done: true,
    });
  });

  it('refuses bad requests with a clear message', async () => {
    const bad = async (response: Response, status: number, message: RegExp) => {
      expect(response.status).toBe(status);
      expect(((await response.json()) as { error: string }).error).toMatch(message);
    };
    await bad(await post({ pages: 3 }), 400, /`topic`/);
    await bad(await post({ topic: 'x', pages: 0 }), 400, /`pages` to be an integer from 1 to 20/);
    await bad(await post({ topic: 'x', pages: 21 }), 400, /from 1 to 20/);
    await bad(await post('{not json'), 400, /JSON object/);
    await bad(await post('topic=x', 'application/x-www-form-urlencoded'), 415, /JSON/);
    await bad(await fetch(`${base}/api/ebook/nope`), 404, /No ebook nope/);
    await bad(await fetch(`${base}/api/ebook/nope/events`), 404, /No ebook nope/);
    await bad(await fetch(`${base}/api/ebook`), 405, /POST/);
    await bad(await fetch(`${base}/elsewhere`), 404, /No route/);
  });

  it('serves the page with its policy, and its files under hashed names', async () => {
    const response = await fetch(`${base}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    const html = await response.text();
    const script = /<script src="(\/assets\/ebook\.[0-9a-f]{10}\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const file = await fetch(`${base}${script}`);
    expect(file.headers.get('cache-control')).toMatch(/immutable/);
    expect(await file.text()).toContain('textContent');
    expect((await fetch(`${base}/assets/ebook.0000000000.js`)).status).toBe(404);
    // An ebook's own URL is the same page, told which ebook (as an attribute, escaped).
    const page = await (await fetch(`${base}/ebook/${encodeURIComponent('"><b>')}`)).text();
    expect(page).toContain('data-ebook="&quot;&gt;&lt;b&gt;"');
  });

  it('lists recent ebooks and pages in bounded pages, and files only once done', async () => {
    pool.pause();
    const ids: string[] = [];
    for (const topic of ['Bees', 'Owls', 'Tides'])
      ids.push(((await (await post({ topic, pages: 3 })).json()) as { id: string }).id);
    const recent = (await (await fetch(`${base}/api/ebooks?start=0&size=2`)).json()) as {
      total: number;
      ebooks: { id: string; done: boolean }[];
    };
    expect(recent.total).toBeGreaterThanOrEqual(3);
    expect(recent.ebooks.map((e) => e.id)).toEqual([ids[2], ids[1]]);
    // The last ebook's: a claim already waiting when the pool paused may take the first's pages.
    const pages = (await (
      await fetch(`${base}/api/ebook/${ids[2]}/pages?start=1&size=1`)
    ).json()) as {
      pages: { index: number; state: string; attempt: number }[];
    };
    expect(pages.pages).toEqual([
      { index: 1, title: expect.any(String), state: 'waiting', attempt: 0 },
    ]);
    const tooMany = await fetch(`${base}/api/ebooks?size=1000`);
    expect(tooMany.status).toBe(400);
    expect(((await tooMany.json()) as { error: string }).error).toMatch(
      /`size` to be an integer from 1 to 100/,
    );
    const early = await fetch(`${base}/api/ebook/${ids[0]}/ebook.md`);
    expect(early.status).toBe(409);
  });

  it('serves the finished ebook sandboxed, and refuses a model it does not offer', async () => {
    const { id } = (await (await post({ topic: 'Moths', pages: 2 })).json()) as { id: string };
    await readEvents(`${base}/api/ebook/${id}/events`);
    const html = await fetch(`${base}/api/ebook/${id}/ebook.html?view=1`);
    expect(html.status).toBe(200);
    expect(html.headers.get('content-security-policy')).toMatch(/sandbox/);
    expect(html.headers.get('content-disposition')).toBe('inline');
    const md = await fetch(`${base}/api/ebook/${id}/ebook.md`);
    expect(md.headers.get('content-disposition')).toMatch(/^attachment; filename=".*\.md"$/);
    const bad = await post({ topic: 'Moths', pages: 2, model: 'gpt-5' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/`model`/);
  });
});
