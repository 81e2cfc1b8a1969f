import type { IncomingMessage, ServerResponse } from 'node:http';
import { Queue, type JobState } from '../index.js';
import { ACTIONS, actionErrorStatus, describeAction } from './actions.js';
import { ICON, SCRIPT, STYLE } from './assets/index.js';
import { dashboardPage, loginPage } from './assets/page.js';
import { Guard } from './auth.js';
import { header, HttpError, readBody, redirect, sendError, sendJson, sendText } from './http.js';
import { readSnapshot, streamSnapshots } from './live.js';
import { resolveDashboardOptions, type DashboardOptions } from './options.js';
import { readBatchPage, readJobPage, STATES, type Order } from './views.js';

/**
 * A Node request handler serving the dashboard: mount it in `node:http`,
 * Express or Fastify. `close()` ends the open pages' live updates and closes
 * the Redis connections it opened.
 */
export interface Dashboard {
  (req: IncomingMessage, res: ServerResponse): void;
  close(): Promise<void>;
}

const PAGE_SIZES = { min: 1, max: 200, default: 50 };

/**
 * The queue dashboard: counts by state (live), throughput, pools, jobs by
 * state with their details, batches, and (unless `readOnly`) actions.
 *
 * ```ts
 * const dashboard = createDashboard({ connection: process.env.REDIS_URL, queues: ['pages'] });
 * http.createServer(dashboard).listen(9465, '127.0.0.1');
 * ```
 */
export function createDashboard(options: DashboardOptions): Dashboard {
  const o = resolveDashboardOptions(options);
  const queues = new Map<string, Queue>();
  let first: Queue | undefined;
  try {
    for (const name of o.queues) {
      // One connection for all: the first queue opens it (or takes yours), the others share it.
      const queue: Queue = new Queue(name, {
        connection: first ? first.client : o.connection,
        ...(o.prefix === undefined ? {} : { prefix: o.prefix }),
        ...(o.logger === undefined ? {} : { logger: o.logger }),
      });
      first ??= queue;
      queues.set(name, queue);
    }
  } catch (error) {
    void first?.close();
    throw error;
  }
  const guard = new Guard(o.token);
  const streams = new Set<ServerResponse>();
  const actions = new Map(ACTIONS.map((action) => [action.name, action]));
  let closed: Promise<void> | undefined;

  const config = () => ({
    queues: [...queues.keys()],
    readOnly: o.readOnly,
    actions: o.readOnly ? [] : ACTIONS.map(describeAction),
    states: STATES,
    refreshInterval: o.refreshInterval,
  });

  const queueNamed = (name: string | undefined): Queue => {
    const queue = name === undefined ? undefined : queues.get(name);
    if (!queue) throw new HttpError(404, 'No such queue on this dashboard');
    return queue;
  };

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const where = locate(req, o.basePath);
    const { mount, path, query } = where;
    const method = req.method === 'HEAD' ? 'GET' : (req.method ?? 'GET');
    if (path === '') {
      redirect(res, `${mount}/${where.search}`);
      return;
    }
    if (method === 'GET' && path.startsWith('/assets/')) {
      const asset = [SCRIPT, STYLE, ICON].find((a) => path === `/assets/${a.name}`);
      if (!asset) throw new HttpError(404, 'Not found');
      sendText(res, 200, asset.type, asset.body, {
        'cache-control': 'public, max-age=31536000, immutable',
      });
      return;
    }
    const secure = isSecure(req);
    if (path === '/login' && method === 'POST' && guard.protected) {
      const refused = guard.refusePost(req, { csrf: false });
      if (refused) throw new HttpError(403, refused);
      const body = await readBody(req);
      const token = typeof body === 'string' ? new URLSearchParams(body).get('token') : body.token;
      if (typeof token === 'string' && guard.accepts(token)) {
        redirect(res, `${mount}/`, { 'set-cookie': guard.sessionCookie(`${mount}/`, secure) });
      } else {
        redirect(res, `${mount}/?login=failed`);
      }
      return;
    }
    if (!guard.authenticated(req)) {
      if (method === 'GET' && path === '/') {
        const failed = query.get('login') === 'failed';
        // 200, not 401: a sign-in page is no error, and browsers log every 401 as one.
        sendText(
          res,
          200,
          'text/html; charset=utf-8',
          loginPage({ style: `assets/${STYLE.name}`, icon: `assets/${ICON.name}`, failed }),
        );
        return;
      }
      sendError(res, 401, 'Sign in first: this dashboard needs its access token', {
        'www-authenticate': 'Bearer realm="redis-worker-pool dashboard"',
      });
      return;
    }
    if (method === 'POST') {
      // Nothing that changes state goes by without both checks, whatever the route.
      const refused = guard.refusePost(req, { csrf: path !== '/logout' });
      if (refused) throw new HttpError(403, refused);
      if (path === '/logout') {
        redirect(res, `${mount}/`, { 'set-cookie': guard.clearCookie(`${mount}/`, secure) });
        return;
      }
      const [, api, queuesPart, name, actionsPart, actionName, ...rest] = path.split('/');
      if (api !== 'api' || queuesPart !== 'queues' || actionsPart !== 'actions' || rest.length > 0)
        throw new HttpError(404, 'Not found');
      if (o.readOnly) throw new HttpError(403, 'This dashboard is read-only');
      const queue = queueNamed(decode(name));
      const action = actions.get(decode(actionName) ?? '');
      if (!action) throw new HttpError(404, 'No such action');
      const body = await readBody(req);
      const json = typeof body === 'string' ? parseJson(body) : body;
      const subject = action.target === 'queue' ? undefined : subjectOf(action.target, json);
      try {
        await action.run(queue, subject);
      } catch (error) {
        const status = actionErrorStatus(error);
        if (status) throw new HttpError(status, (error as Error).message);
        throw error;
      }
      sendJson(res, 200, { ok: true });
      return;
    }
    if (method !== 'GET') {
      res.setHeader('allow', 'GET, HEAD, POST');
      throw new HttpError(405, 'Method not allowed');
    }
    if (path === '/') {
      const page = dashboardPage({
        csrf: guard.csrf,
        assets: {
          script: `assets/${SCRIPT.name}`,
          style: `assets/${STYLE.name}`,
          icon: `assets/${ICON.name}`,
        },
        readOnly: o.readOnly,
        signOut: guard.protected && header(req, 'authorization') === undefined,
        config: config(),
      });
      sendText(res, 200, 'text/html; charset=utf-8', page);
      return;
    }
    if (path === '/api/config') {
      sendJson(res, 200, config());
      return;
    }
    if (path === '/api/events') {
      if (req.method === 'HEAD') {
        sendText(res, 200, 'text/event-stream; charset=utf-8', '');
        return;
      }
      const current = queueNamed(query.get('queue') ?? o.queues[0]);
      const all = [...queues.values()];
      streamSnapshots(req, res, () => readSnapshot(all, current), {
        interval: o.refreshInterval,
        streams,
      });
      return;
    }
    const [, api, queuesPart, name, kind, id, ...rest] = path.split('/');
    if (api !== 'api' || queuesPart !== 'queues' || rest.length > 0)
      throw new HttpError(404, 'Not found');
    const queue = queueNamed(decode(name));
    if (kind === 'jobs' && id === undefined) {
      const state = query.get('state') ?? 'waiting';
      if (!STATES.includes(state as JobState))
        throw new HttpError(400, `Expected \`state\` to be one of ${STATES.join(', ')}`);
      const order = query.get('order') ?? 'newest';
      if (order !== 'newest' && order !== 'oldest')
        throw new HttpError(400, 'Expected `order` to be newest or oldest');
      sendJson(
        res,
        200,
        await readJobPage(queue, state as JobState, {
          start: intParam(query, 'start', 0, Number.MAX_SAFE_INTEGER, 0),
          size: intParam(query, 'size', PAGE_SIZES.min, PAGE_SIZES.max, PAGE_SIZES.default),
          order: order as Order,
        }),
      );
      return;
    }
    if (kind === 'jobs' && id) {
      // Not found is an answer, not an error: a search for an unknown id is ordinary use.
      sendJson(res, 200, { job: await queue.getJob(decode(id) ?? '') });
      return;
    }
    if (kind === 'batches' && id) {
      const batch = await readBatchPage(queue, decode(id) ?? '', {
        start: intParam(query, 'start', 0, Number.MAX_SAFE_INTEGER, 0),
        size: intParam(query, 'size', PAGE_SIZES.min, PAGE_SIZES.max, PAGE_SIZES.default),
      });
      sendJson(res, 200, { batch });
      return;
    }
    throw new HttpError(404, 'Not found');
  }

  const handler = ((req: IncomingMessage, res: ServerResponse) => {
    if (closed) {
      sendError(res, 503, 'The dashboard is closed');
      return;
    }
    route(req, res).catch((error: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (error instanceof HttpError) {
        sendError(res, error.status, error.message);
        return;
      }
      // A Redis error may name the server, never its password; still, the page gets no detail.
      logError(o.logger, error);
      sendError(res, 500, 'The dashboard could not read or change the queue: see the server log');
    });
  }) as Dashboard;

  handler.close = () => {
    closed ??= (async () => {
      for (const stream of streams) stream.end();
      streams.clear();
      const all = [...queues.values()];
      // The first queue owns the connection (unless it was yours): close it last.
      await Promise.all(all.slice(1).map((q) => q.close()));
      await first?.close();
    })();
    return closed;
  };
  return handler;
}

/**
 * Where the dashboard is mounted and the path under it. With `basePath`, the
 * request's URL starts with it (`node:http`, Fastify). Express strips its
 * mount path from `req.url` and keeps the full one in `req.originalUrl`.
 */
function locate(
  req: IncomingMessage,
  basePath: string,
): { mount: string; path: string; query: URLSearchParams; search: string } {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  let path = q < 0 ? url : url.slice(0, q);
  const search = q < 0 ? '' : url.slice(q);
  let mount = '';
  if (basePath && (path === basePath || path.startsWith(`${basePath}/`))) {
    mount = basePath;
    path = path.slice(basePath.length);
  } else {
    const original = (req as { originalUrl?: unknown }).originalUrl;
    if (typeof original === 'string') {
      const originalPath = original.split('?')[0] ?? '';
      if (originalPath.endsWith(path)) {
        mount = originalPath.slice(0, originalPath.length - path.length);
      } else if (path === '/') {
        // Express hands `/queues` to a handler mounted there as `/`: redirect to `/queues/`.
        mount = originalPath;
        path = '';
      }
    }
  }
  return { mount, path, query: new URLSearchParams(search), search };
}

function isSecure(req: IncomingMessage): boolean {
  return (
    (req.socket as { encrypted?: boolean }).encrypted === true ||
    header(req, 'x-forwarded-proto') === 'https'
  );
}

function decode(part: string | undefined): string | undefined {
  if (part === undefined) return undefined;
  try {
    return decodeURIComponent(part);
  } catch {
    throw new HttpError(400, 'Bad percent-encoding in the path');
  }
}

/** A job action's `id` or a group action's `group`, checked. */
function subjectOf(target: 'job' | 'group', json: Record<string, unknown>): string {
  const [key, what] = target === 'job' ? ['id', 'a job id'] : ['group', 'a group name'];
  const value = json[key];
  if (typeof value !== 'string' || value === '')
    throw new HttpError(400, `Expected \`${key}\` to be ${what} (a non-empty string)`);
  return value;
}

function parseJson(body: string): Record<string, unknown> {
  if (body.trim() === '') return {};
  try {
    const value: unknown = JSON.parse(body);
    if (typeof value === 'object' && value !== null && !Array.isArray(value))
      return value as Record<string, unknown>;
  } catch {
    // Reported below.
  }
  throw new HttpError(400, 'Expected a JSON object as the request body');
}

function intParam(
  query: URLSearchParams,
  name: string,
  min: number,
  max: number,
  fallback: number,
): number {
  const raw = query.get(name);
  if (raw === null || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max)
    throw new HttpError(400, `Expected \`${name}\` to be an integer from ${min} to ${max}`);
  return value;
}

function logError(logger: DashboardOptions['logger'], error: unknown): void {
  if (logger === false) return;
  const message = `[Dashboard] request failed: ${error instanceof Error ? error.message : String(error)}`;
  try {
    // eslint-disable-next-line no-console
    (logger ?? { error: (m: string) => console.error(m) }).error(message);
  } catch {
    // A broken logger must not break the response.
  }
}
