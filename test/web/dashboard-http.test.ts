/**
 * The dashboard's server over plain HTTP, as an attacker or a script would
 * talk to it: access token, CSRF and origin checks, readOnly, headers, what
 * never reaches a response, bad requests, and closing.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { RateLimitError, UnrecoverableError } from '../../src/index.js';
import { createDashboard } from '../../src/dashboard/index.js';
import { useHarness } from '../support/harness.js';
import { rawClient, redisUrl, until } from '../support/redis.js';
import { csrfOf, serveDashboard } from './support.js';

const TOKEN = 'correct-horse-battery-staple';

describe('the dashboard over HTTP', () => {
  const h = useHarness('web-http');

  async function serve(options: { token?: string; readOnly?: boolean } = {}) {
    return h.track(
      await serveDashboard({
        connection: redisUrl(),
        prefix: h.prefix,
        queues: ['q'],
        ...options,
      }),
    );
  }

  /** A job in `failed`, for the actions to work on. */
  async function failedJob() {
    const queue = h.queue();
    const pool = h.pool(async () => {
      throw new UnrecoverableError('broken');
    });
    const job = await queue.add('page', {});
    await pool.start();
    await until(async () => (await queue.getJob(job.id))?.state === 'failed', 'the job to fail');
    await pool.close();
    return { queue, id: job.id };
  }

  function post(
    url: string,
    path: string,
    { headers = {}, body = '{}' }: { headers?: Record<string, string>; body?: string } = {},
  ) {
    return fetch(new URL(path, url), {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
      redirect: 'manual',
    });
  }

  it('sends a strict CSP and no inline script, and serves the script as a cacheable file', async () => {
    const { url } = await serve();
    const response = await fetch(url);
    expect(response.status).toBe(200);
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(response.headers.get('cache-control')).toBe('no-store');
    const html = await response.text();
    // Every <script> has a src; no inline event handler.
    expect(html.match(/<script[^>]*>/g)).toEqual([expect.stringMatching(/ src="assets\//)]);
    expect(html).not.toMatch(/\son[a-z]+=/i);
    const src = /<script src="([^"]+)"/.exec(html)![1]!;
    const script = await fetch(new URL(src, url));
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(script.headers.get('cache-control')).toContain('immutable');
    expect(await script.text()).not.toContain('innerHTML');
    expect((await fetch(new URL('assets/app.0000000000.js', url))).status).toBe(404);
  });

  it('with a token, refuses every request without it, and takes it as a Bearer header', async () => {
    const { url } = await serve({ token: TOKEN });
    for (const path of ['api/config', 'api/events', 'api/queues/q/jobs?state=failed']) {
      const response = await fetch(new URL(path, url));
      expect(response.status, path).toBe(401);
      expect(await response.text()).not.toContain('csrf-token');
    }
    // The page itself is the sign-in form, without the CSRF token.
    const page = await fetch(url);
    const html = await page.text();
    expect(html).toContain('name="token"');
    expect(html).not.toContain('csrf-token');
    const wrong = await fetch(new URL('api/config', url), {
      headers: { authorization: 'Bearer not-the-token-at-all' },
    });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toMatch(/^Bearer/);
    const right = await fetch(new URL('api/config', url), {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(right.status).toBe(200);
    expect(await right.json()).toMatchObject({ queues: ['q'], readOnly: false });
  });

  it('signs a browser in with the login form: an HttpOnly, SameSite=Strict cookie', async () => {
    const { url } = await serve({ token: TOKEN });
    const login = await fetch(url);
    expect(login.status).toBe(200);
    expect(await login.text()).toContain('<form method="post" action="login">');

    const form = (token: string) =>
      fetch(new URL('login', url), {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token }).toString(),
        redirect: 'manual',
      });
    const failed = await form('wrong-token-wrong-token');
    expect(failed.status).toBe(303);
    expect(failed.headers.get('location')).toBe('/?login=failed');
    expect(failed.headers.get('set-cookie')).toBeNull();

    const signed = await form(TOKEN);
    expect(signed.status).toBe(303);
    const cookie = signed.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^rwp_dashboard=[0-9a-f]{64}; /);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    expect(cookie).toContain('Path=/');
    // The cookie is not the token itself.
    expect(cookie).not.toContain(TOKEN);
    const session = cookie.split(';')[0]!;
    const page = await fetch(url, { headers: { cookie: session } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('csrf-token');
    // A forged cookie gets nothing.
    const forged = await fetch(new URL('api/config', url), {
      headers: { cookie: `rwp_dashboard=${'0'.repeat(64)}` },
    });
    expect(forged.status).toBe(401);
  });

  it('refuses an action without the CSRF token, from another site, or without the access token', async () => {
    const { queue, id } = await failedJob();
    const { url } = await serve({ token: TOKEN });
    const auth = { authorization: `Bearer ${TOKEN}` };
    const csrf = csrfOf(await (await fetch(url, { headers: auth })).text());
    const body = JSON.stringify({ id });
    const retry = 'api/queues/q/actions/retry';
    const refusals = [
      ['no CSRF token', { ...auth }, 403],
      ['a wrong CSRF token', { ...auth, 'x-csrf-token': 'ab'.repeat(32) }, 403],
      [
        'a cross-site request',
        { ...auth, 'x-csrf-token': csrf, 'sec-fetch-site': 'cross-site' },
        403,
      ],
      ['another origin', { ...auth, 'x-csrf-token': csrf, origin: 'https://evil.example' }, 403],
      ['no access token', { 'x-csrf-token': csrf }, 401],
    ] as const;
    for (const [what, headers, status] of refusals) {
      const response = await post(url, retry, { headers, body });
      expect(response.status, what).toBe(status);
      expect((await response.json()) as { error: string }, what).toHaveProperty('error');
      expect((await queue.getJob(id))?.state, what).toBe('failed');
    }
    const ok = await post(url, retry, {
      headers: {
        ...auth,
        'x-csrf-token': csrf,
        'sec-fetch-site': 'same-origin',
        origin: new URL(url).origin,
      },
      body,
    });
    expect(ok.status).toBe(200);
    expect((await queue.getJob(id))?.state).toBe('waiting');
  });

  it('without a token, still refuses an action without the CSRF token', async () => {
    const queue = h.queue();
    const { url } = await serve();
    const response = await post(url, 'api/queues/q/actions/pause');
    expect(response.status).toBe(403);
    expect(await queue.isPaused()).toBe(false);
    const csrf = csrfOf(await (await fetch(url)).text());
    const ok = await post(url, 'api/queues/q/actions/pause', { headers: { 'x-csrf-token': csrf } });
    expect(ok.status).toBe(200);
    expect(await queue.isPaused()).toBe(true);
  });

  it('refuses every action when readOnly, and offers none', async () => {
    const { queue, id } = await failedJob();
    const { url } = await serve({ readOnly: true });
    const csrf = csrfOf(await (await fetch(url)).text());
    expect(await (await fetch(new URL('api/config', url))).json()).toMatchObject({
      readOnly: true,
      actions: [],
    });
    for (const [action, body] of [
      ['retry', { id }],
      ['remove', { id }],
      ['cancel', { id }],
      ['pause', {}],
      ['pauseGroup', { group: 'tenant-a' }],
    ] as const) {
      const response = await post(url, `api/queues/q/actions/${action}`, {
        headers: { 'x-csrf-token': csrf },
        body: JSON.stringify(body),
      });
      expect(response.status, action).toBe(403);
      expect(await response.json()).toEqual({ error: 'This dashboard is read-only' });
    }
    expect((await queue.getJob(id))?.state).toBe('failed');
    expect(await queue.isPaused()).toBe(false);
  });

  it('answers bad requests with a status and a message', async () => {
    const { queue, id } = await failedJob();
    const waiting = await queue.add('page', {});
    const { url } = await serve();
    const csrf = csrfOf(await (await fetch(url)).text());
    const get = async (path: string) => {
      const response = await fetch(new URL(path, url));
      return [response.status, ((await response.json()) as { error?: string }).error];
    };
    expect(await get('api/queues/other/jobs')).toEqual([404, 'No such queue on this dashboard']);
    expect(await get('api/queues/q/jobs?state=done')).toEqual([
      400,
      'Expected `state` to be one of waiting, delayed, active, completed, failed',
    ]);
    expect(await get('api/queues/q/jobs?state=failed&size=500')).toEqual([
      400,
      'Expected `size` to be an integer from 1 to 200',
    ]);
    expect(await get('api/queues/q/jobs?start=-1')).toEqual([
      400,
      'Expected `start` to be an integer from 0 to 9007199254740991',
    ]);
    expect(await get('api/nothing')).toEqual([404, 'Not found']);
    expect(
      (await fetch(new URL('api/queues/q/jobs/nope', url)).then((r) => r.json())) as unknown,
    ).toEqual({ job: null });

    const act = async (action: string, body: string) => {
      const response = await post(url, `api/queues/q/actions/${action}`, {
        headers: { 'x-csrf-token': csrf },
        body,
      });
      return [response.status, ((await response.json()) as { error?: string }).error];
    };
    expect(await act('explode', '{}')).toEqual([404, 'No such action']);
    expect(await act('retry', 'not json')).toEqual([
      400,
      'Expected a JSON object as the request body',
    ]);
    expect(await act('retry', '{}')).toEqual([
      400,
      'Expected `id` to be a job id (a non-empty string)',
    ]);
    // The library's own message, whatever its wording.
    expect(await act('retry', JSON.stringify({ id: waiting.id }))).toEqual([
      409,
      expect.stringContaining(`Cannot retry job ${waiting.id}`),
    ]);
    expect(await act('remove', JSON.stringify({ id: 'no-such-job' }))).toEqual([
      404,
      'Job no-such-job was not found (never added, or removed by retention)',
    ]);
    expect(await act('remove', JSON.stringify({ id }))).toEqual([200, undefined]);
    expect(await queue.getJob(id)).toBeNull();
    const put = await fetch(url, { method: 'PUT' });
    expect(put.status).toBe(405);
  });

  it('never sends the Redis URL or password to the page', async () => {
    const admin = rawClient();
    const user = `dash-${randomBytes(4).toString('hex')}`;
    const password = `pw-${randomBytes(12).toString('hex')}`;
    await admin.call('ACL', 'SETUSER', user, 'on', `>${password}`, '~*', '&*', '+@all');
    try {
      const queue = h.queue();
      await queue.add('page', { title: 'x' });
      const base = new URL(redisUrl());
      const connection = `redis://${user}:${password}@${base.host}`;
      const served = h.track(await serveDashboard({ connection, prefix: h.prefix, queues: ['q'] }));
      const seen: string[] = [];
      for (const path of [
        '',
        'api/config',
        'api/queues/q/jobs?state=waiting',
        'api/queues/q/jobs/1',
        'api/queues/nope/jobs',
      ]) {
        seen.push(await (await fetch(new URL(path, served.url))).text());
      }
      const controller = new AbortController();
      const events = await fetch(new URL('api/events?queue=q', served.url), {
        signal: controller.signal,
      });
      const reader = events.body!.getReader();
      let text = '';
      while (!text.includes('event: snapshot'))
        text += new TextDecoder().decode((await reader.read()).value);
      controller.abort();
      seen.push(text);
      expect(text).toContain('"waiting":1');
      for (const body of seen) {
        expect(body).not.toContain(password);
        expect(body).not.toContain(user);
        expect(body).not.toContain('redis://');
        expect(body).not.toContain(base.port);
      }
    } finally {
      await admin.call('ACL', 'DELUSER', user);
      await admin.quit();
    }
  });

  it('shows the rate-limit hold beside the pause state, in seconds left', async () => {
    const queue = h.queue();
    const pool = h.pool(async () => {
      throw new RateLimitError(60_000, '429 Too Many Requests');
    });
    await queue.add('page', {});
    await pool.start();
    await until(async () => (await queue.getCounts()).rateLimitedUntil !== undefined, 'the hold');
    const served = h.track(
      await serveDashboard({ connection: redisUrl(), prefix: h.prefix, queues: ['q'] }),
    );
    const controller = new AbortController();
    const events = await fetch(new URL('api/events?queue=q', served.url), {
      signal: controller.signal,
    });
    const reader = events.body!.getReader();
    let text = '';
    while (!text.includes('event: snapshot'))
      text += new TextDecoder().decode((await reader.read()).value);
    controller.abort();
    const data = /event: snapshot\ndata: (.*)\n/.exec(text)?.[1] ?? '{}';
    const [q] = (JSON.parse(data) as { queues: { rateLimitedFor?: number; paused: boolean }[] })
      .queues;
    expect(q!.paused).toBe(false);
    expect(q!.rateLimitedFor).toBeGreaterThan(50_000);
    expect(q!.rateLimitedFor).toBeLessThanOrEqual(60_000);
    // The page has the place for it, filled by its script from that snapshot.
    expect(await (await fetch(served.url)).text()).toContain('id="rate-limit"');
  });

  it('lists the groups with the most waiting jobs, and pauses and resumes one', async () => {
    const queue = h.queue();
    await queue.addBulk([
      { name: 'page', data: {}, opts: { group: 'tenant-a' } },
      { name: 'page', data: {}, opts: { group: 'tenant-a' } },
      { name: 'page', data: {}, opts: { group: 'tenant-b' } },
    ]);
    const { url } = await serve();
    const snapshot = async () => {
      const controller = new AbortController();
      const events = await fetch(new URL('api/events?queue=q', url), { signal: controller.signal });
      const reader = events.body!.getReader();
      let text = '';
      while (!text.includes('event: snapshot'))
        text += new TextDecoder().decode((await reader.read()).value);
      controller.abort();
      return JSON.parse(/event: snapshot\ndata: (.*)\n/.exec(text)?.[1] ?? '{}') as {
        groups: { group: string; waiting: number; paused: boolean }[];
      };
    };
    expect((await snapshot()).groups).toEqual([
      { group: 'tenant-a', waiting: 2, active: 0, paused: false },
      { group: 'tenant-b', waiting: 1, active: 0, paused: false },
    ]);
    const csrf = csrfOf(await (await fetch(url)).text());
    const headers = { 'x-csrf-token': csrf };
    const missing = await post(url, 'api/queues/q/actions/pauseGroup', { headers, body: '{}' });
    expect(missing.status).toBe(400);
    expect(await missing.json()).toEqual({
      error: 'Expected `group` to be a group name (a non-empty string)',
    });
    const paused = await post(url, 'api/queues/q/actions/pauseGroup', {
      headers,
      body: JSON.stringify({ group: 'tenant-a' }),
    });
    expect(paused.status).toBe(200);
    expect((await queue.getGroupCounts('tenant-a')).paused).toBe(true);
    expect((await queue.getGroupCounts('tenant-b')).paused).toBe(false);
    expect((await snapshot()).groups.find((g) => g.group === 'tenant-a')?.paused).toBe(true);
    const resumed = await post(url, 'api/queues/q/actions/resumeGroup', {
      headers,
      body: JSON.stringify({ group: 'tenant-a' }),
    });
    expect(resumed.status).toBe(200);
    expect((await queue.getGroupCounts('tenant-a')).paused).toBe(false);
  });

  it('close() ends the live streams and closes the connection it opened, not one it was given', async () => {
    const name = `dash-${randomBytes(4).toString('hex')}`;
    const admin = rawClient();
    const connections = async () =>
      String(await admin.call('CLIENT', 'LIST'))
        .split('\n')
        .filter((line) => line.includes(`name=${name}`)).length;
    try {
      const served = await serveDashboard({
        connection: { ...redisOptions(), connectionName: name },
        prefix: h.prefix,
        queues: ['a', 'b'],
      });
      const events = await fetch(new URL('api/events', served.url));
      const reader = events.body!.getReader();
      await reader.read();
      // The name is set by a CLIENT SETNAME that may still be on its way.
      await until(async () => (await connections()) === 1, 'the dashboard to connect');
      expect(await connections()).toBe(1);
      await served.dashboard.close();
      // The stream ends cleanly.
      let done = false;
      while (!done) done = (await reader.read()).done;
      await until(async () => (await connections()) === 0, 'the connection to close');
      const after = await fetch(served.url);
      expect(after.status).toBe(503);
      await served.dashboard.close();
      await served.close();

      const client = rawClient();
      const dashboard = createDashboard({ connection: client, prefix: h.prefix, queues: 'q' });
      await dashboard.close();
      expect(await client.ping()).toBe('PONG');
      await client.quit();
    } finally {
      await admin.quit();
    }
  });
});

function redisOptions() {
  const url = new URL(redisUrl());
  return { host: url.hostname, port: Number(url.port) };
}
