/**
 * A local stand-in for the OpenAI chat completions API, for tests: node:http
 * on a free loopback port, answering each request as the test's script says
 * (a completion, a 429 with `retry-after`, a 5xx, an OpenAI-style 4xx, or no
 * answer at all), recording every request with its arrival time and the
 * moment its socket closed. A request with `stream: true` gets its completion
 * as server-sent events, chunk by chunk (`chunkDelay` apart), with a last
 * chunk carrying `usage` when it asked with `stream_options.include_usage`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface RecordedRequest {
  /** 1 for the first request the mock received. */
  readonly n: number;
  /** When its headers arrived (ms since the epoch). */
  readonly at: number;
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  /** The parsed JSON body (`{ model, messages, ... }`). */
  readonly body: { model?: string; messages?: { role: string; content: string }[] } & Record<
    string,
    unknown
  >;
  /** The last user message. */
  readonly prompt: string;
  /** What the mock answered: `200`, `429`, ..., or `hang`. Set once it answered. */
  reply?: number | 'hang';
  /** When the mock sent its answer. */
  answeredAt?: number;
  /** When the connection closed before an answer was sent (the client gave up). */
  abortedAt?: number;
  /** A streamed answer: how many content chunks were sent so far. */
  chunksSent?: number;
}

export type MockReply =
  | {
      kind: 'completion';
      text: string;
      delay?: number;
      model?: string;
      usage?: Partial<Usage>;
      /** Extra response headers (`x-ratelimit-remaining-requests`, ...). */
      headers?: Record<string, string>;
      /** Streamed: the content chunks (default: the text in pieces of about 8 characters). */
      chunks?: string[];
      /** Streamed: ms between two chunks. @default 0 */
      chunkDelay?: number;
      /** Streamed: after this many content chunks, send an error event instead of the rest. */
      failAfterChunks?: number;
    }
  | {
      kind: 'rateLimit';
      retryAfter?: string;
      retryAfterMs?: string;
      delay?: number;
      message?: string;
      code?: string;
    }
  | {
      kind: 'error';
      status: number;
      message: string;
      type?: string;
      code?: string | null;
      param?: string | null;
      delay?: number;
    }
  | { kind: 'hang' };

interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

/** Decide the answer to one request; may wait (return a promise) to hold the request open. */
export type MockScript = (request: RecordedRequest) => MockReply | Promise<MockReply>;

type CompletionOptions = Omit<Extract<MockReply, { kind: 'completion' }>, 'kind' | 'text'>;

export const reply = {
  completion: (text: string, options: CompletionOptions = {}): MockReply => ({
    kind: 'completion',
    text,
    ...options,
  }),
  rateLimited: (
    retryAfterSeconds: number,
    options: { delay?: number; message?: string } = {},
  ): MockReply => ({
    kind: 'rateLimit',
    retryAfter: String(retryAfterSeconds),
    ...options,
  }),
  serverError: (
    status = 500,
    message = 'The server had an error while processing your request.',
  ): MockReply => ({
    kind: 'error',
    status,
    message,
    type: 'server_error',
  }),
  /** OpenAI's answer to an account out of credit: a 429 that no wait fixes. */
  quotaExceeded: (
    message = 'You exceeded your current quota, please check your plan and billing details.',
  ): MockReply => ({
    kind: 'rateLimit',
    message,
    code: 'insufficient_quota',
  }),
  badRequest: (message: string, param: string | null = null): MockReply => ({
    kind: 'error',
    status: 400,
    message,
    type: 'invalid_request_error',
    code: 'invalid_value',
    param,
  }),
  hang: (): MockReply => ({ kind: 'hang' }),
};

/** The default script: a completion that names the page it was asked for, after `delay` ms. */
export function echoPage(delay = 0): MockScript {
  return (request) => reply.completion(`Text of page ${pageNumber(request) ?? '?'}.`, { delay });
}

/** The page number (from 1) a request asks for, read from the example's prompt; `undefined` for other requests. */
export function pageNumber(request: RecordedRequest): number | undefined {
  const n = /Write page (\d+) of \d+/.exec(request.prompt)?.[1];
  return n === undefined ? undefined : Number(n);
}

export interface MockOpenAI {
  /** The base URL to give the SDK (`.../v1`). */
  readonly url: string;
  readonly requests: RecordedRequest[];
  setScript(script: MockScript): void;
  /** Resolves once `count` requests arrived. */
  waitForRequests(count: number, timeout?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startMockOpenAI(script: MockScript = echoPage()): Promise<MockOpenAI> {
  let current = script;
  const requests: RecordedRequest[] = [];
  const listeners = new Set<() => void>();
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const at = Date.now();
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    let body: RecordedRequest['body'] = {};
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
    } catch {
      // Recorded with an empty body; the script decides what to do.
    }
    const prompt =
      [...(body.messages ?? [])].reverse().find((m) => m.role === 'user')?.content ?? '';
    const request: RecordedRequest = {
      n: requests.length + 1,
      at,
      method: req.method ?? '',
      path: req.url ?? '',
      headers: req.headers,
      body,
      prompt,
    };
    requests.push(request);
    res.on('close', () => {
      if (!res.writableEnded) request.abortedAt ??= Date.now();
    });
    for (const notify of listeners) notify();

    if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
      send(res, request, 404, {
        error: { message: `No route ${req.method} ${req.url}`, type: 'invalid_request_error' },
      });
      return;
    }
    const answer = await current(request);
    if (answer.kind === 'hang') {
      request.reply = 'hang';
      return; // never answer: only the client can end this one
    }
    if ('delay' in answer && answer.delay) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => (timers.delete(timer), resolve()), answer.delay);
        timers.add(timer);
      });
    }
    if (res.destroyed) return;
    if (answer.kind === 'completion') {
      const usage = {
        prompt_tokens: 50,
        completion_tokens: 100,
        total_tokens: 150,
        ...answer.usage,
      };
      const model = answer.model ?? body.model ?? 'mock-model';
      if (body.stream === true) {
        await stream(res, request, answer, model, usage, timers);
        return;
      }
      send(
        res,
        request,
        200,
        {
          id: `chatcmpl-mock-${request.n}`,
          object: 'chat.completion',
          created: Math.floor(Date.now() / 1000),
          model,
          choices: [
            {
              index: 0,
              message: { role: 'assistant', content: answer.text, refusal: null },
              logprobs: null,
              finish_reason: 'stop',
            },
          ],
          usage,
        },
        answer.headers,
      );
    } else if (answer.kind === 'rateLimit') {
      const headers: Record<string, string> = {};
      if (answer.retryAfter !== undefined) headers['retry-after'] = answer.retryAfter;
      if (answer.retryAfterMs !== undefined) headers['retry-after-ms'] = answer.retryAfterMs;
      send(
        res,
        request,
        429,
        {
          error: {
            message: answer.message ?? 'Rate limit reached for requests. Please try again later.',
            type: answer.code === 'insufficient_quota' ? 'insufficient_quota' : 'requests',
            param: null,
            code: answer.code ?? 'rate_limit_exceeded',
          },
        },
        headers,
      );
    } else {
      send(res, request, answer.status, {
        error: {
          message: answer.message,
          type: answer.type ?? 'invalid_request_error',
          param: answer.param ?? null,
          code: answer.code ?? null,
        },
      });
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent)
        send(res, undefined, 500, { error: { message: String(error), type: 'mock_error' } });
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    setScript(script) {
      current = script;
    },
    waitForRequests(count, timeout = 15_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (requests.length < count) return false;
          clearTimeout(timer);
          listeners.delete(check);
          resolve();
          return true;
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(
            new Error(
              `mock OpenAI: ${requests.length} requests after ${timeout} ms, expected ${count}`,
            ),
          );
        }, timeout);
        listeners.add(check);
        check();
      });
    },
    async close() {
      for (const timer of timers) clearTimeout(timer);
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Split `text` into pieces of about `size` characters, as a model streams tokens. */
export function splitText(text: string, size = 8): string[] {
  const pieces: string[] = [];
  for (let at = 0; at < text.length; at += size) pieces.push(text.slice(at, at + size));
  return pieces.length > 0 ? pieces : [''];
}

/** A completion as OpenAI streams it: role, content chunks, finish, usage (if asked), `[DONE]`. */
async function stream(
  res: ServerResponse,
  request: RecordedRequest,
  answer: Extract<MockReply, { kind: 'completion' }>,
  model: string,
  usage: Usage,
  timers: Set<NodeJS.Timeout>,
): Promise<void> {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    'x-request-id': `req_mock_${request.n}`,
    ...answer.headers,
  });
  request.reply = 200;
  request.chunksSent = 0;
  const base = {
    id: `chatcmpl-mock-${request.n}`,
    object: 'chat.completion.chunk',
    created: Math.floor(Date.now() / 1000),
    model,
  };
  const event = (data: unknown) => {
    if (!res.destroyed) res.write(`data: ${JSON.stringify(data)}\n\n`);
  };
  const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
    event({
      ...base,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    });
  const wait = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => (timers.delete(timer), resolve()), ms);
      timers.add(timer);
    });
  chunk({ role: 'assistant', content: '' });
  for (const piece of answer.chunks ?? splitText(answer.text)) {
    if (answer.chunkDelay) await wait(answer.chunkDelay);
    if (res.destroyed) return;
    if (answer.failAfterChunks !== undefined && request.chunksSent >= answer.failAfterChunks) {
      event({
        error: { message: 'The server had an error while streaming.', type: 'server_error' },
      });
      res.end();
      return;
    }
    chunk({ content: piece });
    request.chunksSent++;
  }
  chunk({}, 'stop');
  const options = request.body.stream_options as { include_usage?: boolean } | undefined;
  if (options?.include_usage) event({ ...base, choices: [], usage });
  if (res.destroyed) return;
  res.end('data: [DONE]\n\n');
  request.answeredAt = Date.now();
}

function send(
  res: ServerResponse,
  request: RecordedRequest | undefined,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.destroyed) return;
  const json = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(json),
    'x-request-id': `req_mock_${request?.n ?? 0}`,
    ...headers,
  });
  res.end(json);
  if (request) {
    request.reply = status;
    request.answeredAt = Date.now();
  }
}
