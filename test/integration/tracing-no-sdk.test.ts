// OpenTelemetry's API installed (as it often is, pulled in by other packages) but no
// SDK registered: an attempt starts no span, yet its handler still runs in the trace
// of its add(), and an SDK registered later is used from the next job on.
import {
  context,
  ProxyTracer,
  ROOT_CONTEXT,
  trace,
  TraceFlags,
  type SpanContext,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { useHarness } from '../support/harness.js';

const contextManager = new AsyncLocalStorageContextManager();
const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });

beforeAll(() => {
  // A context manager (as an app with a propagator has) but no tracer provider.
  context.setGlobalContextManager(contextManager.enable());
});

afterAll(async () => {
  trace.disable();
  context.disable();
  await provider.shutdown();
});

/** The trace of an incoming request, as a propagator would have extracted it. */
const incoming: SpanContext = {
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  spanId: '00f067aa0ba902b7',
  traceFlags: TraceFlags.SAMPLED,
  isRemote: true,
};

describe('tracing without an SDK', () => {
  const h = useHarness('notrace');

  it("starts no span for an attempt, and runs the handler in its add()'s trace", async () => {
    const startSpan = vi.spyOn(ProxyTracer.prototype, 'startSpan');
    const seen: (SpanContext | undefined)[] = [];
    const queue = h.queue();
    const pool = h.pool(async () => {
      seen.push(trace.getSpanContext(context.active()));
      return 'ok';
    });
    await pool.start();
    const traced = await context.with(trace.setSpanContext(ROOT_CONTEXT, incoming), () =>
      queue.add('call', {}),
    );
    await queue.waitForResult(traced.id, { timeout: 10_000 });
    const plain = await queue.add('call', {});
    await queue.waitForResult(plain.id, { timeout: 10_000 });
    expect(seen).toHaveLength(2);
    // The traced job's handler sees the request's trace (to carry it on), the other none.
    expect(seen[0]).toMatchObject({ traceId: incoming.traceId, spanId: incoming.spanId });
    expect(seen[1]).toBeUndefined();
    expect(startSpan).not.toHaveBeenCalled();
    startSpan.mockRestore();
  });

  it('uses an SDK registered after the pool started, from the next job on', async () => {
    const queue = h.queue();
    const pool = h.pool(async () => 'ok');
    await pool.start();
    const before = await queue.add('call', {});
    await queue.waitForResult(before.id, { timeout: 10_000 });
    trace.setGlobalTracerProvider(provider);
    const after = await queue.add('call', {});
    await queue.waitForResult(after.id, { timeout: 10_000 });
    const spans = exporter.getFinishedSpans().filter((s) => s.name === 'process q');
    expect(spans.map((s) => s.attributes['messaging.message.id'])).toEqual([after.id]);
  });
});
