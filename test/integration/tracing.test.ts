import { context, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { UnrecoverableError, type Queue } from '../../src/index.js';
import { queueKeysOf } from '../../src/internal.js';
import { useHarness } from '../support/harness.js';
import { rawClient, until } from '../support/redis.js';

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const contextManager = new AsyncLocalStorageContextManager();
const tracer = trace.getTracer('test');

beforeAll(() => {
  context.setGlobalContextManager(contextManager.enable());
  trace.setGlobalTracerProvider(provider);
});

afterAll(async () => {
  // Global registrations outlive the file otherwise.
  trace.disable();
  context.disable();
  await provider.shutdown();
});

afterEach(() => exporter.reset());

/** Run `fn` in a span like an HTTP server's, and return that span's context. */
async function inSpan(fn: () => Promise<unknown>) {
  return tracer.startActiveSpan('POST /ebooks', { kind: SpanKind.SERVER }, async (span: Span) => {
    try {
      await fn();
    } finally {
      span.end();
    }
    return span.spanContext();
  });
}

const attemptSpans = () => exporter.getFinishedSpans().filter((s) => s.name === 'process q');

/** The stored fields of a job's hash. */
async function jobHash(queue: Queue, id: string): Promise<Record<string, string>> {
  const redis = rawClient();
  try {
    return await redis.hgetall(`${queueKeysOf(queue).base}job:${id}`);
  } finally {
    await redis.quit();
  }
}

describe('tracing with OpenTelemetry', () => {
  const h = useHarness('trace');

  it("runs an attempt in a CONSUMER span of the caller's trace, child of the span around add() and linked to it", async () => {
    const queue = h.queue();
    let inner: { traceId: string; spanId: string } | undefined;
    const pool = h.pool(async () => {
      // What the handler's own calls (the model API) would see as their parent.
      inner = trace.getActiveSpan()?.spanContext();
      return 'ok';
    });
    await pool.start();
    let id = '';
    const request = await inSpan(async () => {
      id = (await queue.add('page', { title: 'Bees' })).id;
    });
    await queue.waitForResult(id, { timeout: 5000 });
    await until(() => attemptSpans().length === 1, 'the attempt span');

    const [span] = attemptSpans() as [ReadableSpan];
    expect(span.kind).toBe(SpanKind.CONSUMER);
    expect(span.spanContext().traceId).toBe(request.traceId);
    expect(span.parentSpanContext?.spanId).toBe(request.spanId);
    expect(span.links.map((l) => l.context.spanId)).toEqual([request.spanId]);
    // The handler ran in the attempt's span.
    expect(inner).toEqual(expect.objectContaining({ spanId: span.spanContext().spanId }));
    expect(inner?.traceId).toBe(request.traceId);
  });

  it('names the queue, the job, its attempt and its outcome in the span', async () => {
    const queue = h.queue();
    const pool = h.pool(async () => 'ok');
    await pool.start();
    let id = '';
    await inSpan(async () => {
      id = (await queue.add('page', { title: 'Bees' }, { attempts: 3 })).id;
    });
    await queue.waitForResult(id, { timeout: 5000 });
    await until(() => attemptSpans().length === 1, 'the attempt span');

    const [span] = attemptSpans() as [ReadableSpan];
    expect(span.attributes).toEqual({
      'messaging.system': 'redis_worker_pool',
      'messaging.operation.type': 'process',
      'messaging.operation.name': 'process',
      'messaging.destination.name': 'q',
      'messaging.message.id': id,
      'messaging.redis_worker_pool.job.name': 'page',
      'messaging.redis_worker_pool.attempt': 1,
      'messaging.redis_worker_pool.max_attempts': 3,
      'messaging.redis_worker_pool.outcome': 'completed',
    });
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(span.events).toEqual([]);
  });

  it('records the error and an ERROR status on a failed attempt', async () => {
    const queue = h.queue();
    const pool = h.pool(async () => {
      throw new UnrecoverableError('the model refused the prompt');
    });
    await pool.start();
    let id = '';
    await inSpan(async () => {
      id = (await queue.add('page', {})).id;
    });
    await expect(queue.waitForResult(id, { timeout: 5000 })).rejects.toThrow(/refused the prompt/);
    await until(() => attemptSpans().length === 1, 'the attempt span');

    const [span] = attemptSpans() as [ReadableSpan];
    expect(span.status).toEqual({
      code: SpanStatusCode.ERROR,
      message: 'the model refused the prompt',
    });
    expect(span.attributes['messaging.redis_worker_pool.outcome']).toBe('failed');
    expect(span.attributes['error.type']).toBe('ERR_UNRECOVERABLE');
    const exception = span.events.find((e) => e.name === 'exception');
    expect(exception?.attributes).toMatchObject({
      'exception.message': 'the model refused the prompt',
      'exception.type': 'ERR_UNRECOVERABLE',
    });
  });

  it('gives each attempt of a retried job a span of its own, all in the trace of its add()', async () => {
    const queue = h.queue();
    const pool = h.pool(
      async (_job, { attempt }) => {
        if (attempt < 3) throw new Error(`rate limited ${attempt}`);
        return 'ok';
      },
      { attempts: 3, backoff: { delay: 10, jitter: 0 } },
    );
    await pool.start();
    let id = '';
    const request = await inSpan(async () => {
      id = (await queue.add('page', {})).id;
    });
    await queue.waitForResult(id, { timeout: 5000 });
    await until(() => attemptSpans().length === 3, 'three attempt spans');

    const spans = attemptSpans().sort(
      (a, b) =>
        Number(a.attributes['messaging.redis_worker_pool.attempt']) -
        Number(b.attributes['messaging.redis_worker_pool.attempt']),
    );
    expect(
      spans.map((s) => [
        s.attributes['messaging.redis_worker_pool.attempt'],
        s.attributes['messaging.redis_worker_pool.outcome'],
        s.status.code,
      ]),
    ).toEqual([
      [1, 'retry', SpanStatusCode.ERROR],
      [2, 'retry', SpanStatusCode.ERROR],
      [3, 'completed', SpanStatusCode.UNSET],
    ]);
    for (const span of spans) {
      expect(span.spanContext().traceId).toBe(request.traceId);
      expect(span.parentSpanContext?.spanId).toBe(request.spanId);
    }
    expect(new Set(spans.map((s) => s.spanContext().spanId)).size).toBe(3);
  });

  it('ends the span of an attempt the pool hands back when it closes', async () => {
    const queue = h.queue();
    let started = false;
    const pool = h.pool(async (_job, { signal }) => {
      started = true;
      await new Promise((resolve) => signal.addEventListener('abort', resolve));
      return 'too late';
    });
    await pool.start();
    await inSpan(() => queue.add('page', {}));
    await until(() => started, 'the handler to start');
    await pool.close({ force: true });
    await until(() => attemptSpans().length === 1, 'the attempt span');

    const [span] = attemptSpans() as [ReadableSpan];
    expect(span.attributes['messaging.redis_worker_pool.outcome']).toBe('handed_back');
  });

  it('stores the traceparent on the job only when a span is active', async () => {
    const queue = h.queue();
    const untraced = await queue.add('page', { title: 'Bees' });
    let traced = '';
    const request = await inSpan(async () => {
      traced = (await queue.add('page', { title: 'Wasps' })).id;
    });

    const plain = await jobHash(queue, untraced.id);
    expect(plain).not.toHaveProperty('tp');
    expect(Object.keys(plain).sort()).toEqual(['kc', 'kf', 'n', 't']);
    expect((await jobHash(queue, traced)).tp).toBe(`00-${request.traceId}-${request.spanId}-01`);
  });

  it('starts a trace of its own for a job added with no active span', async () => {
    const queue = h.queue();
    const pool = h.pool(async () => 'ok');
    // The pool's claim loop runs in the context start() was called in: that is no job's parent.
    const started = await inSpan(() => pool.start());
    const { id } = await queue.add('page', {});
    await queue.waitForResult(id, { timeout: 5000 });
    await until(() => attemptSpans().length === 1, 'the attempt span');

    const [span] = attemptSpans() as [ReadableSpan];
    expect(span.parentSpanContext).toBeUndefined();
    expect(span.spanContext().traceId).not.toBe(started.traceId);
    expect(span.links).toEqual([]);
  });

  it('stores the trace on every job of addBulk() and addBatch() called in a span', async () => {
    const queue = h.queue();
    let ids: string[] = [];
    const request = await inSpan(async () => {
      const bulk = await queue.addBulk([
        { name: 'page', data: { i: 0 } },
        { name: 'page', data: { i: 1 } },
      ]);
      const batch = await queue.addBatch([{ name: 'page', data: { i: 2 } }]);
      ids = [...bulk, ...batch.jobs].map((j) => j.id);
    });
    const stored = await Promise.all(ids.map(async (id) => (await jobHash(queue, id)).tp));
    expect(stored).toEqual(ids.map(() => `00-${request.traceId}-${request.spanId}-01`));

    // The batch's attempt span says which batch and position it ran for.
    const pool = h.pool(async () => 'ok');
    await pool.start();
    await until(() => attemptSpans().length === 3, 'three attempt spans');
    const batchSpan = attemptSpans().find((s) => s.attributes['messaging.message.id'] === ids[2]);
    expect(batchSpan?.attributes).toMatchObject({
      'messaging.redis_worker_pool.batch.index': 0,
    });
    expect(batchSpan?.attributes['messaging.redis_worker_pool.batch.id']).toEqual(
      expect.any(String),
    );
  });
});
