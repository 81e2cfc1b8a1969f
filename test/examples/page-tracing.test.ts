import { context, SpanKind, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { addEbook, waitForEbook } from '../../examples/ebook/ebook.js';
import { createPageHandler } from '../../examples/ebook/page-handler.js';
import { testPlan, useEbookQueue } from '../support/ebook.js';
import { echoPage, startMockOpenAI, type MockOpenAI } from '../support/mock-openai.js';
import { until } from '../support/redis.js';

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });

beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(provider);
});
afterAll(async () => {
  trace.disable();
  context.disable();
  await provider.shutdown();
});

describe('the page handler, traced', () => {
  const h = useEbookQueue('ebook-trace');
  let mock: MockOpenAI;
  beforeEach(async () => {
    mock = await startMockOpenAI(echoPage());
  });
  afterEach(async () => {
    exporter.reset();
    await mock.close();
  });

  it("puts each page's model and token usage on its attempt span, in the trace of the request that asked for the ebook", async () => {
    const queue = h.queue();
    const pool = h.pool({
      page: createPageHandler({ apiKey: 'test-key', baseURL: mock.url, model: 'test-model' }),
    });
    await pool.start();
    const request = trace.getTracer('test').startSpan('POST /ebooks', { kind: SpanKind.SERVER });
    const meta = await context.with(trace.setSpan(context.active(), request), () =>
      addEbook(queue, testPlan(2)),
    );
    request.end();
    await waitForEbook(queue, meta.id, { timeout: 10_000 });
    const pages = () => exporter.getFinishedSpans().filter((s) => s.name === 'process ebook');
    await until(() => pages().length === 2, 'two page spans');

    for (const span of pages()) {
      expect(span.spanContext().traceId).toBe(request.spanContext().traceId);
      expect(span.parentSpanContext?.spanId).toBe(request.spanContext().spanId);
      expect(span.attributes).toMatchObject({
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': 'test-model',
        'gen_ai.response.model': 'test-model',
        'gen_ai.usage.input_tokens': 50,
        'gen_ai.usage.output_tokens': 100,
        'messaging.redis_worker_pool.outcome': 'completed',
      });
    }
  });
});
