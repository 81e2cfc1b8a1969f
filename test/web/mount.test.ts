/**
 * The same handler mounted under a prefix in node:http, Express and Fastify,
 * as docs/dashboard.md shows: the page, its files, the API, the redirect to
 * the trailing slash, and an action (whose body the handler must still read).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import { createDashboard, type Dashboard } from '../../src/dashboard/index.js';
import { useHarness } from '../support/harness.js';
import { redisUrl } from '../support/redis.js';
import { csrfOf } from './support.js';

describe('mounting the dashboard under /admin/queues', () => {
  const h = useHarness('web-mount');

  function dashboard(basePath?: string): Dashboard {
    return h.track(
      createDashboard({
        connection: redisUrl(),
        prefix: h.prefix,
        queues: ['q'],
        ...(basePath === undefined ? {} : { basePath }),
      }),
    );
  }

  async function listen(server: Server): Promise<string> {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    h.track({
      close: () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    });
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  /** Everything a browser does with the mounted dashboard. */
  async function exercise(origin: string) {
    const queue = h.queue();
    const bare = await fetch(`${origin}/admin/queues`, { redirect: 'manual' });
    expect(bare.status).toBe(303);
    expect(bare.headers.get('location')).toBe('/admin/queues/');

    const page = await fetch(`${origin}/admin/queues/`);
    expect(page.status).toBe(200);
    const html = await page.text();
    const script = /<script src="([^"]+)"/.exec(html)![1]!;
    expect((await fetch(new URL(script, `${origin}/admin/queues/`))).status).toBe(200);
    const config = await fetch(`${origin}/admin/queues/api/config`);
    expect(await config.json()).toMatchObject({ queues: ['q'] });

    const paused = await fetch(`${origin}/admin/queues/api/queues/q/actions/pause`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-csrf-token': csrfOf(html) },
      body: '{}',
    });
    expect(paused.status).toBe(200);
    expect(await queue.isPaused()).toBe(true);
    // A job action reads its body: the id must get through the framework.
    const job = await queue.add('page', {});
    const removed = await fetch(`${origin}/admin/queues/api/queues/q/actions/remove`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-csrf-token': csrfOf(html) },
      body: JSON.stringify({ id: job.id }),
    });
    expect(removed.status).toBe(200);
    expect(await queue.getJob(job.id)).toBeNull();
  }

  it('in node:http, with basePath', async () => {
    const handler = dashboard('/admin/queues');
    const origin = await listen(
      createServer((req, res) => {
        if (req.url?.startsWith('/admin/queues')) return handler(req, res);
        res.writeHead(404).end();
      }),
    );
    await exercise(origin);
  });

  it('in Express, with app.use() (which strips the prefix), after express.json()', async () => {
    const app = express();
    // A body parser before it: the dashboard takes the parsed body.
    app.use(express.json());
    app.use('/admin/queues', dashboard());
    await exercise(await listen(createServer(app)));
  });

  it('in Fastify, with the raw request and reply', async () => {
    const handler = dashboard('/admin/queues');
    const app = Fastify();
    await app.register(async (scope) => {
      // Leave request bodies to the dashboard.
      scope.removeAllContentTypeParsers();
      scope.addContentTypeParser('*', (_request, _payload, done) => done(null));
      const serve = (request: FastifyRequest, reply: FastifyReply) => {
        reply.hijack();
        handler(request.raw, reply.raw);
      };
      scope.all('/admin/queues', serve);
      scope.all('/admin/queues/*', serve);
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    h.track({ close: () => app.close() });
    const address = app.server.address() as AddressInfo;
    await exercise(`http://127.0.0.1:${address.port}`);
  });
});
