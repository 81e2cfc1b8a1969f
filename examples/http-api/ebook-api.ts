/**
 * An HTTP API shaped like the original deployment's `/api/ebook`, on
 * node:http alone:
 *
 *   POST   /api/ebook            {"topic": "...", "pages": 20, "model"?: "..."}  -> 202 {"id": "..."}
 *                                 (the client: an `X-Client-Id` header or a `client` field;
 *                                 each client's pages are a group of their own, served in turns)
 *   GET    /api/ebook/:id        progress, and the pages in order once done
 *   GET    /api/ebook/:id/events progress and each page's state as server-sent events, until done
 *   GET    /api/ebook/:id/pages  one page of the pages' states (`start`, `size`)
 *   GET    /api/ebook/:id/ebook.md, /ebook.html   the finished ebook's files
 *   DELETE /api/ebook/:id        cancel the pages not written yet
 *                                 (POST and DELETE: refused from another site's page)
 *   GET    /api/ebooks           the recent ebooks, newest first (`start`, `size`)
 *
 * and the web page that uses it: `/` (the form and the recent ebooks) and
 * `/ebook/:id` (one ebook, live). It only adds ebooks, reads and cancels
 * them; worker pools (in this process or any other) write the pages.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { BatchProgress, Queue } from 'redis-worker-pool';
import {
  addEbook,
  getEbook,
  type EbookJobs,
  type EbookMeta,
  type EbookPage,
} from '../ebook/ebook.js';
import type { OutlinePlanner } from '../ebook/generator.js';
import { slugify, fileId, toHtml, toMarkdown } from '../ebook/render.js';
import { EbookIndex, readPages, type PageView } from './ebook-index.js';
import {
  COMMON_HEADERS,
  EBOOK_HTML_POLICY,
  sendAsset,
  sendPage,
  type PageConfig,
} from './ebook-page.js';

export interface EbookApiOptions {
  queue: Queue<EbookJobs>;
  planOutline: OutlinePlanner;
  /** Most pages one request may ask for. @default 50 */
  maxPages?: number;
  /** Words per page asked of the model. @default 300 */
  words?: number;
  /** Models a request may name; the first is the default. @default the workers' own (none named) */
  models?: readonly string[];
  /** Attempts per page, shown as "attempt n of m" when a job sets none of its own. */
  maxAttempts?: number;
  /** The queue's budgets, shown on the page. */
  budgets?: PageConfig['budgets'];
  /** `offline` when the pages are placeholders (the page says so). @default 'openai' */
  mode?: 'openai' | 'offline';
  /** The Redis key of the recent ebooks list. @default `ebook-api:<queue name>:recent` */
  indexKey?: string;
  /** Ms between two reads of the pages' states for an open event stream. @default 500 */
  pagesInterval?: number;
  /**
   * What the pages' group is: `client`, each client's own (from the `X-Client-Id`
   * header or the `client` field; none without), or `model`, the model that writes
   * them, for per-model limits and 429 holds (`RateLimitError` with `scope: 'group'`).
   * @default 'client'
   */
  groupBy?: 'client' | 'model';
  /**
   * Reuse pages already written (or being written) for the same topic, prompt and
   * model, for `ttl` ms (see `addEbook`). @default none: every page is written anew
   */
  cache?: { ttl: number };
  log?: (line: string) => void;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

const MAX_BODY = 16 * 1024;
/** The most page cards or recent ebooks one request returns. */
const MAX_PAGE_SIZE = 100;

/** The client an ebook is for, from the `X-Client-Id` header or the `client` field; undefined for none. */
function clientOf(req: IncomingMessage, body: Record<string, unknown>): string | undefined {
  const value = req.headers['x-client-id'] ?? body.client;
  if (value === undefined) return undefined;
  // A group name becomes part of Redis keys: keep it short and plain.
  if (typeof value !== 'string' || !/^[\w.@-]{1,64}$/.test(value))
    throw new HttpError(
      400,
      'Expected the client (`X-Client-Id` or `client`) to be 1 to 64 letters, digits, `_`, `.`, `@` or `-`',
    );
  return value;
}

export function createEbookApi(options: EbookApiOptions): Server {
  const { queue, planOutline } = options;
  const maxPages = options.maxPages ?? 50;
  const words = options.words ?? 300;
  const log = options.log ?? (() => {});
  const models = options.models ?? [];
  const index = new EbookIndex(queue, options.indexKey ?? `ebook-api:${queue.name}:recent`);
  const pagesInterval = options.pagesInterval ?? 500;
  const pageConfig: PageConfig = {
    models,
    maxPages,
    mode: options.mode ?? 'openai',
    ...(options.budgets ? { budgets: options.budgets } : {}),
  };
  const groupBy = options.groupBy ?? 'client';

  async function create(req: IncomingMessage, res: ServerResponse) {
    const body = await readJson(req);
    const topic = typeof body.topic === 'string' ? body.topic.trim() : '';
    if (!topic || topic.length > 200)
      throw new HttpError(400, 'Expected `topic` to be a string of 1 to 200 characters');
    const pages = body.pages ?? 10;
    if (!Number.isInteger(pages) || (pages as number) < 1 || (pages as number) > maxPages)
      throw new HttpError(400, `Expected \`pages\` to be an integer from 1 to ${maxPages}`);
    const model = body.model ?? models[0];
    if (model !== undefined && (typeof model !== 'string' || !models.includes(model)))
      throw new HttpError(
        400,
        models.length
          ? `Expected \`model\` to be one of ${models.join(', ')}`
          : 'This server names no models: leave `model` out',
      );
    const client = clientOf(req, body);
    let meta: EbookMeta;
    try {
      const plan = await planOutline(
        { topic, pages: pages as number, words },
        { warn: (m) => log(`[API] ${m}`) },
      );
      const group = groupBy === 'model' ? (model ?? plan.mode) : client && `client:${client}`;
      const added = await addEbook(queue, model ? { ...plan, model } : plan, {
        ...(group ? { group } : {}),
        ...(options.cache ? { cache: options.cache } : {}),
      });
      await index.record(added);
      meta = added;
    } catch (error) {
      throw planningError(error);
    }
    log(`[API] Added ebook ${meta.id}: "${meta.title}", ${meta.pages.length} pages`);
    sendJson(res, 202, {
      id: meta.id,
      title: meta.title,
      pages: meta.pages.length,
      mode: meta.mode,
      status: `/api/ebook/${meta.id}`,
      events: `/api/ebook/${meta.id}/events`,
      page: `/ebook/${meta.id}`,
    });
  }

  async function status(res: ServerResponse, id: string) {
    const ebook = await getEbook(queue, id);
    if (!ebook) throw new HttpError(404, `No ebook ${id}`);
    sendJson(res, 200, view(ebook.meta, ebook.progress, ebook.pages));
  }

  async function events(req: IncomingMessage, res: ServerResponse, id: string, query: Query) {
    const first = await getEbook(queue, id);
    if (!first) throw new HttpError(404, `No ebook ${id}`);
    const range = pageRange(query);
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
    // The client leaving aborts the wait at once.
    const left = new AbortController();
    res.on('close', () => left.abort());
    const send = (event: string, data: unknown) => {
      if (!left.signal.aborted) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    };
    // A comment now and then keeps proxies from closing a quiet stream.
    const ping = setInterval(() => !left.signal.aborted && res.write(': ping\n\n'), 15_000);
    res.write('retry: 2000\n\n');
    // Each page's state as it changes: read now and then (a page starting, retrying or
    // growing moves no batch counter), sent only when it changed.
    const jobIds = await index.jobIds(id);
    const sent = new Map<number, string>();
    const sendPages = async () => {
      const pages = await readPages(queue, first.meta, jobIds, { ...range, maxAttempts });
      for (const page of pages) {
        const json = JSON.stringify(page);
        if (sent.get(page.index) === json) continue;
        sent.set(page.index, json);
        send('page', page);
      }
    };
    let reading = Promise.resolve();
    const poll = setInterval(() => {
      reading = reading.then(sendPages).catch((error: unknown) => {
        log(`[API] reading the pages of ${id}: ${String(error)}`);
      });
    }, pagesInterval);
    try {
      await sendPages();
      const done = await queue.waitForBatch(id, {
        signal: left.signal,
        onProgress: (p) => send('progress', view(first.meta, p)),
        // A page being written: its text so far (`ctx.progress()`), sent as it comes.
        onItemProgress: ({ index, progress }) => {
          const last = sent.get(index);
          if (last === undefined || index < range.start || index >= range.start + range.size)
            return;
          const before = JSON.parse(last) as PageView;
          // A late report never takes a finished page back.
          if (before.state === 'done' || before.state === 'failed') return;
          const page: PageView = { ...before, state: 'writing' };
          const text = (progress as { text?: unknown } | null)?.text;
          if (typeof text === 'string') page.text = text;
          const json = JSON.stringify(page);
          if (json === last) return;
          sent.set(index, json);
          send('page', page);
        },
      });
      clearInterval(poll);
      await reading;
      await sendPages();
      send('done', view(first.meta, done));
    } catch (error) {
      if (!left.signal.aborted) send('error', { error: (error as Error).message });
    } finally {
      clearInterval(poll);
      clearInterval(ping);
      res.end();
    }
  }

  async function pages(res: ServerResponse, id: string, query: Query) {
    const ebook = await getEbook(queue, id);
    if (!ebook) throw new HttpError(404, `No ebook ${id}`);
    const range = pageRange(query);
    const list: PageView[] = await readPages(queue, ebook.meta, await index.jobIds(id), {
      ...range,
      maxAttempts,
    });
    sendJson(res, 200, { ...range, total: ebook.progress.total, pages: list });
  }

  async function recent(res: ServerResponse, query: Query) {
    const { start, size } = pageRange(query);
    sendJson(res, 200, { start, size, ...(await index.recent(start, size)) });
  }

  async function download(res: ServerResponse, id: string, ext: 'md' | 'html', inline: boolean) {
    const ebook = await getEbook(queue, id);
    if (!ebook) throw new HttpError(404, `No ebook ${id}`);
    if (!ebook.pages)
      throw new HttpError(
        409,
        `Ebook ${id} is still being written: its files come when it is done`,
      );
    const whole = { meta: ebook.meta, progress: ebook.progress, pages: ebook.pages };
    const body = ext === 'md' ? toMarkdown(whole) : toHtml(whole);
    const name = `${slugify(ebook.meta.title)}-${fileId(ebook.meta.id)}.${ext}`;
    res.writeHead(200, {
      ...COMMON_HEADERS,
      'content-type': ext === 'md' ? 'text/markdown; charset=utf-8' : 'text/html; charset=utf-8',
      'content-length': Buffer.byteLength(body),
      'content-security-policy': EBOOK_HTML_POLICY,
      'x-frame-options': 'SAMEORIGIN',
      'content-disposition': inline ? 'inline' : `attachment; filename="${name}"`,
    });
    res.end(body);
  }

  /** Cancel the ebook's unfinished pages: queued ones never run, running ones stop. */
  async function cancel(res: ServerResponse, id: string) {
    if (!(await queue.getBatch(id))) throw new HttpError(404, `No ebook ${id}`);
    const cancelled = await queue.cancelBatch(id, { reason: 'cancelled through the API' });
    log(`[API] Cancelled ebook ${id}: ${cancelled} unfinished pages`);
    sendJson(res, 200, { id, cancelled });
  }

  const maxAttempts = options.maxAttempts;

  /** The web page: its two documents and its files. True when the path was one of them. */
  function page(req: IncomingMessage, res: ServerResponse, path: string): boolean {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    if (path === '/') {
      sendPage(res, pageConfig);
      return true;
    }
    const ebook = /^\/ebook\/([^/]+)$/.exec(path)?.[1];
    if (ebook !== undefined) {
      sendPage(res, pageConfig, decode(ebook));
      return true;
    }
    const asset = /^\/assets\/([^/]+)$/.exec(path)?.[1];
    return asset !== undefined && sendAsset(res, asset);
  }

  return createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const match = /^\/api\/ebook(?:\/([^/]+)(?:\/(events|pages|ebook\.md|ebook\.html))?)?\/?$/.exec(
      url.pathname,
    );
    const route = async () => {
      if (page(req, res, url.pathname)) return;
      if (url.pathname === '/api/ebooks') {
        if (req.method !== 'GET') throw new HttpError(405, 'Use GET', { allow: 'GET' });
        return recent(res, url.searchParams);
      }
      if (!match) throw new HttpError(404, `No route ${url.pathname}`);
      const [, id, part] = match;
      if (!id) {
        if (req.method !== 'POST')
          throw new HttpError(405, 'Use POST /api/ebook', { allow: 'POST' });
        refuseCrossSite(req);
        return create(req, res);
      }
      const ebookId = decode(id);
      if (req.method === 'DELETE' && !part) {
        refuseCrossSite(req);
        return cancel(res, ebookId);
      }
      if (req.method !== 'GET')
        throw new HttpError(405, part ? 'Use GET' : 'Use GET or DELETE', {
          allow: part ? 'GET' : 'GET, DELETE',
        });
      if (part === 'events') return events(req, res, ebookId, url.searchParams);
      if (part === 'pages') return pages(res, ebookId, url.searchParams);
      if (part === 'ebook.md' || part === 'ebook.html')
        return download(
          res,
          ebookId,
          part === 'ebook.md' ? 'md' : 'html',
          url.searchParams.get('view') === '1',
        );
      return status(res, ebookId);
    };
    route().catch((error: unknown) => {
      const http = error instanceof HttpError ? error : new HttpError(500, 'Internal error');
      if (!(error instanceof HttpError))
        log(`[API] ${req.method} ${url.pathname}: ${String(error)}`);
      if (res.headersSent) res.end();
      else sendJson(res, http.status, { error: http.message }, http.headers);
    });
  });
}

type Query = URLSearchParams;

/**
 * A request that changes something (POST, DELETE) must come from this server's own
 * page or from a program (curl, a backend), never from another site's page: refused
 * when the browser says it is cross-site (`Sec-Fetch-Site`) or names another origin
 * (`Origin`), as the dashboard does. Besides, POST needs a JSON body and DELETE is not
 * a "simple" method, so a browser would ask first (CORS), and this server allows none.
 * Behind a proxy, keep the `Host` header the browser sent, or `Origin` will not match.
 */
function refuseCrossSite(req: IncomingMessage): void {
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin')
    throw new HttpError(403, `Refused: a ${site} request (Sec-Fetch-Site) may not change anything`);
  const origin = req.headers.origin;
  if (origin !== undefined && !sameHost(origin, req.headers.host))
    throw new HttpError(403, 'Refused: the request comes from another origin');
}

function sameHost(origin: string, host: string | undefined): boolean {
  if (host === undefined) return false;
  try {
    return new URL(origin).host === host.toLowerCase();
  } catch {
    return false;
  }
}

/** `start` and `size` of a paged list: bounded, so no request reads a whole queue. */
function pageRange(query: Query): { start: number; size: number } {
  const read = (name: string, min: number, max: number, fallback: number) => {
    const raw = query.get(name);
    if (raw === null || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max)
      throw new HttpError(400, `Expected \`${name}\` to be an integer from ${min} to ${max}`);
    return value;
  };
  return { start: read('start', 0, 1_000_000, 0), size: read('size', 1, MAX_PAGE_SIZE, 50) };
}

function decode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new HttpError(400, 'Bad percent-encoding in the path');
  }
}

/** What the API shows of an ebook: its progress, and its pages once every page finished. */
function view(meta: EbookMeta, progress: BatchProgress, pages?: EbookPage[]) {
  return {
    id: meta.id,
    topic: meta.topic,
    title: meta.title,
    mode: meta.mode,
    ...(meta.model ? { model: meta.model } : {}),
    total: progress.total,
    completed: progress.completed,
    failed: progress.failed,
    pending: progress.pending,
    done: progress.done,
    createdAt: progress.createdAt,
    ...(progress.finishedAt ? { finishedAt: progress.finishedAt } : {}),
    ...(pages
      ? {
          pages: pages.map((p) => ({
            index: p.index,
            title: p.title,
            state: p.state,
            ...(p.state === 'completed' ? { text: p.result.text, model: p.result.model } : {}),
            ...(p.state === 'failed' ? { error: p.error } : {}),
          })),
        }
      : {}),
  };
}

/** The model API refused the outline call: say so, with its retry-after if it gave one. */
function planningError(error: unknown): HttpError {
  const e = error as { code?: string; retryAfter?: number; message?: string };
  if (e.code === 'ERR_RATE_LIMITED')
    return new HttpError(503, `The model API is rate limited: ${e.message}`, {
      'retry-after': String(Math.ceil((e.retryAfter ?? 1000) / 1000)),
    });
  return new HttpError(502, `Could not plan the ebook: ${e.message ?? String(error)}`);
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  if (!/^application\/json\b/i.test(req.headers['content-type'] ?? ''))
    throw new HttpError(415, 'Send JSON (content-type: application/json)');
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new HttpError(413, `Keep the body under ${MAX_BODY} bytes`);
    chunks.push(chunk as Buffer);
  }
  try {
    const body: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    if (typeof body === 'object' && body !== null && !Array.isArray(body))
      return body as Record<string, unknown>;
  } catch {
    // Falls through to the 400 below.
  }
  throw new HttpError(400, 'Expected a JSON object like {"topic": "Honey bees", "pages": 10}');
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const json = JSON.stringify(body);
  res.writeHead(status, {
    ...COMMON_HEADERS,
    'cache-control': 'no-store',
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(json),
    ...headers,
  });
  res.end(json);
}
