/**
 * An HTTP API shaped like the original deployment's `/api/ebook`, on
 * node:http alone:
 *
 *   POST /api/ebook            {"topic": "...", "pages": 20}  -> 202 {"id": "..."}
 *                              (the client: an `X-Client-Id` header or a `client` field;
 *                              each client's pages are a group of their own, served in
 *                              turns with the other clients')
 *   GET  /api/ebook/:id        progress, and the pages in order once done
 *   GET  /api/ebook/:id/events progress as server-sent events, until done
 *
 * It only adds ebooks and reads them; worker pools (in this process or any
 * other) write the pages.
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

export interface EbookApiOptions {
  queue: Queue<EbookJobs>;
  planOutline: OutlinePlanner;
  /** Most pages one request may ask for. @default 50 */
  maxPages?: number;
  /** Words per page asked of the model. @default 300 */
  words?: number;
  /**
   * What the pages' group is: `client`, each client's own (from the `X-Client-Id`
   * header or the `client` field; none without), or `model`, the model that writes
   * them, for per-model limits and 429 holds (`RateLimitError` with `scope: 'group'`).
   * @default 'client'
   */
  groupBy?: 'client' | 'model';
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
  const groupBy = options.groupBy ?? 'client';

  async function create(req: IncomingMessage, res: ServerResponse) {
    const body = await readJson(req);
    const topic = typeof body.topic === 'string' ? body.topic.trim() : '';
    if (!topic || topic.length > 200)
      throw new HttpError(400, 'Expected `topic` to be a string of 1 to 200 characters');
    const pages = body.pages ?? 10;
    if (!Number.isInteger(pages) || (pages as number) < 1 || (pages as number) > maxPages)
      throw new HttpError(400, `Expected \`pages\` to be an integer from 1 to ${maxPages}`);
    const client = clientOf(req, body);
    let meta: EbookMeta;
    try {
      const plan = await planOutline(
        { topic, pages: pages as number, words },
        { warn: (m) => log(`[API] ${m}`) },
      );
      const group = groupBy === 'model' ? plan.mode : client && `client:${client}`;
      meta = await addEbook(queue, plan, group ? { group } : {});
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
    });
  }

  async function status(res: ServerResponse, id: string) {
    const ebook = await getEbook(queue, id);
    if (!ebook) throw new HttpError(404, `No ebook ${id}`);
    sendJson(res, 200, view(ebook.meta, ebook.progress, ebook.pages));
  }

  async function events(req: IncomingMessage, res: ServerResponse, id: string) {
    const first = await getEbook(queue, id);
    if (!first) throw new HttpError(404, `No ebook ${id}`);
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
    try {
      const done = await queue.waitForBatch(id, {
        signal: left.signal,
        onProgress: (p) => send('progress', view(first.meta, p)),
        // A page being written: what its handler reported so far (`ctx.progress()`).
        onItemProgress: ({ index, progress }) => send('page', { index, progress }),
      });
      send('done', view(first.meta, done));
    } catch (error) {
      if (!left.signal.aborted) send('error', { error: (error as Error).message });
    } finally {
      clearInterval(ping);
      res.end();
    }
  }

  /** Cancel the ebook's unfinished pages: queued ones never run, running ones stop. */
  async function cancel(res: ServerResponse, id: string) {
    if (!(await getEbook(queue, id))) throw new HttpError(404, `No ebook ${id}`);
    const cancelled = await queue.cancelBatch(id, { reason: 'cancelled through the API' });
    log(`[API] Cancelled ebook ${id}: ${cancelled} unfinished pages`);
    sendJson(res, 200, { id, cancelled });
  }

  return createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const match = /^\/api\/ebook(?:\/([^/]+)(\/events)?)?\/?$/.exec(url.pathname);
    const route = async () => {
      if (!match) throw new HttpError(404, `No route ${url.pathname}`);
      const [, id, isEvents] = match;
      if (!id) {
        if (req.method !== 'POST')
          throw new HttpError(405, 'Use POST /api/ebook', { allow: 'POST' });
        return create(req, res);
      }
      const ebookId = decodeURIComponent(id);
      if (req.method === 'DELETE' && !isEvents) return cancel(res, ebookId);
      if (req.method !== 'GET')
        throw new HttpError(405, 'Use GET (or DELETE to cancel)', {
          allow: isEvents ? 'GET' : 'GET, DELETE',
        });
      return isEvents ? events(req, res, ebookId) : status(res, ebookId);
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

/** What the API shows of an ebook: its progress, and its pages once every page finished. */
function view(meta: EbookMeta, progress: BatchProgress, pages?: EbookPage[]) {
  return {
    id: meta.id,
    topic: meta.topic,
    title: meta.title,
    mode: meta.mode,
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
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(json),
    ...headers,
  });
  res.end(json);
}
