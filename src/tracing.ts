import type * as OtelApi from '@opentelemetry/api';
import type { ReportKind, ReportOutcome } from './attempt-report.js';
import type { ClaimedJob } from './job.js';

/**
 * OpenTelemetry tracing, with `@opentelemetry/api` as an optional peer: it is
 * loaded on the first `add()` and at a pool's `start()`, and when it is not
 * installed nothing else happens, ever. The library brings no SDK: spans are
 * recorded only if the application registered one.
 *
 * - Producer: `add()` stores the caller's active span context on each job as a
 *   W3C traceparent (the job hash's `tp`); no active span, no field.
 * - Consumer: each attempt runs in a CONSUMER span `process <queue>`, a child
 *   of that context and linked to it (see docs/tracing.md for why both), and
 *   the handler runs in the span's context, so its own spans nest under it.
 */
type Api = typeof OtelApi;

/** undefined: not looked for yet; null: not installed (or unusable). */
let api: Api | null | undefined;
let loading: Promise<void> | undefined;

/**
 * Look for `@opentelemetry/api` once per process. Returns a promise to await
 * the first time, and undefined once the answer is known, so the callers on a
 * hot path (every `add()`) pay no await after that.
 */
export function loadTracing(): Promise<void> | undefined {
  if (api !== undefined) return undefined;
  // A dynamic import works from the ESM build and the CJS one (tsup keeps peer
  // dependencies external), and a missing package is a rejection to catch.
  loading ??= import('@opentelemetry/api').then(
    (module) => {
      api = usable(module);
    },
    () => {
      api = null;
    },
  );
  return loading;
}

/** The module, or null if it lacks what this file calls (a version too old). */
function usable(module: Api): Api | null {
  return typeof module.trace?.getActiveSpan === 'function' &&
    typeof module.trace.setSpanContext === 'function' &&
    typeof module.context?.with === 'function'
    ? module
    : null;
}

/**
 * The caller's active span context as a W3C traceparent (version 00), or
 * undefined when there is no valid one, or no OpenTelemetry. Kept even when not
 * sampled, as every propagator does: the pool's spans then follow the same
 * sampling decision instead of starting traces of their own.
 */
export function callerTraceparent(): string | undefined {
  if (!api) return undefined;
  const span = api.trace.getActiveSpan();
  if (!span) return undefined;
  const { traceId, spanId, traceFlags } = span.spanContext();
  if (!api.isSpanContextValid({ traceId, spanId, traceFlags })) return undefined;
  return `00-${traceId}-${spanId}-${(traceFlags & 0xff).toString(16).padStart(2, '0')}`;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(?:-|$)/;

/** The span context of a stored traceparent, or undefined if it is not one (it came from Redis). */
export function parseTraceparent(value: string): OtelApi.SpanContext | undefined {
  const match = TRACEPARENT.exec(value);
  // Version ff is forbidden; a later version may add fields after the four we read.
  if (!match || match[1] === 'ff' || (match[1] === '00' && value.length !== 55)) return undefined;
  const context = {
    traceId: match[2] as string,
    spanId: match[3] as string,
    traceFlags: parseInt(match[4] as string, 16),
    isRemote: true,
  };
  return api && !api.isSpanContextValid(context) ? undefined : context;
}

/** What became of an attempt, as the span's `messaging.redis_worker_pool.outcome`. */
export type TracedOutcome =
  | 'completed'
  | 'retry'
  | 'rate_limited'
  | 'quota_exceeded'
  | 'failed'
  | 'lease_lost'
  | 'unsent'
  | 'handed_back';

/** The outcome of an attempt whose report Redis ruled on (or that was never sent). */
export function tracedOutcome(status: ReportOutcome, kind: ReportKind): TracedOutcome {
  if (status === 'stale') return 'lease_lost';
  if (status === 'unsent') return 'unsent';
  if (kind === 'rateLimited') return 'rate_limited';
  return kind === 'quotaExceeded' ? 'quota_exceeded' : kind;
}

/** The span of one attempt, as the executor sees it. */
export interface AttemptSpan {
  /** Run `fn` (the handler) with this span active. */
  run<T>(fn: () => T): T;
  /** Set the outcome (and the error of a failed attempt) and end the span. */
  end(outcome: TracedOutcome, error?: Error): void;
}

/** Messaging semantic conventions: `messaging.system`, and the prefix of this system's own attributes. */
export const MESSAGING_SYSTEM = 'redis_worker_pool';
// This system's own attributes (`messaging.redis_worker_pool.*`), spelled out: an object
// literal with computed keys is built as a slow dictionary (about 2 µs a job here).

/**
 * Starts a span per attempt for one pool; undefined when OpenTelemetry is not
 * installed (call after `loadTracing()` settled).
 */
export function attemptTracer(queue: string): AttemptTracer | undefined {
  return api ? new AttemptTracer(api, queue) : undefined;
}

export class AttemptTracer {
  readonly #api: Api;
  readonly #queue: string;
  readonly #tracer: OtelApi.Tracer;
  readonly #spanName: string;

  constructor(otel: Api, queue: string) {
    this.#api = otel;
    this.#queue = queue;
    this.#spanName = `process ${queue}`;
    // The global provider's proxy: an SDK registered after start() is still used.
    this.#tracer = otel.trace.getTracer('redis-worker-pool');
  }

  /**
   * Whether a tracer provider (an SDK) is registered. Without one every span would
   * be a no-op that still costs its attributes, its context and its run (about a
   * microsecond a job), so an attempt gets none. Asked for each job until one is
   * seen, so an SDK registered after `start()` is used from its next job on. An
   * API of another copy whose provider is not our proxy counts as one.
   */
  #sdkSeen = false;
  #sdkRegistered(): boolean {
    if (this.#sdkSeen) return true;
    const provider = this.#api.trace.getTracerProvider();
    this.#sdkSeen =
      !(provider instanceof this.#api.ProxyTracerProvider) ||
      provider.getDelegateTracer('redis-worker-pool') !== undefined;
    return this.#sdkSeen;
  }

  /** The attempt's span; undefined when no SDK is registered and the job has no trace. */
  start(claimed: ClaimedJob, attempt: number, maxAttempts: number): AttemptSpan | undefined {
    const otel = this.#api;
    const { job } = claimed;
    const creation = claimed.traceparent ? parseTraceparent(claimed.traceparent) : undefined;
    if (!this.#sdkRegistered()) {
      if (!creation) return undefined;
      // Nothing is recorded, but the handler still runs in the trace of its add(),
      // so a propagator carries it on to the calls the handler makes.
      const traced = otel.trace.setSpanContext(otel.ROOT_CONTEXT, creation);
      return { run: (fn) => otel.context.with(traced, fn), end: endNothing };
    }
    // Not the pool's ambient context (whatever was active when start() ran):
    // the job's own trace, or a trace of its own.
    const parent = creation
      ? otel.trace.setSpanContext(otel.ROOT_CONTEXT, creation)
      : otel.ROOT_CONTEXT;
    const attributes: OtelApi.Attributes = {
      'messaging.system': MESSAGING_SYSTEM,
      'messaging.operation.type': 'process',
      'messaging.operation.name': 'process',
      'messaging.destination.name': this.#queue,
      'messaging.message.id': job.id,
      'messaging.redis_worker_pool.job.name': job.name,
      'messaging.redis_worker_pool.attempt': attempt,
      'messaging.redis_worker_pool.max_attempts': maxAttempts,
    };
    if (job.batchId !== undefined) {
      attributes['messaging.redis_worker_pool.batch.id'] = job.batchId;
      attributes['messaging.redis_worker_pool.batch.index'] = job.batchIndex ?? -1;
    }
    const options: OtelApi.SpanOptions = { kind: otel.SpanKind.CONSUMER, attributes };
    if (creation) options.links = [{ context: creation }];
    const span = this.#tracer.startSpan(this.#spanName, options, parent);
    const active = otel.trace.setSpan(parent, span);
    let ended = false;
    return {
      run: (fn) => otel.context.with(active, fn),
      end: (outcome, error) => {
        if (ended) return;
        ended = true;
        span.setAttribute('messaging.redis_worker_pool.outcome', outcome);
        if (error) {
          span.recordException(error);
          span.setAttribute('error.type', errorType(error));
          span.setStatus({ code: otel.SpanStatusCode.ERROR, message: error.message });
        } else if (outcome === 'lease_lost') {
          // A result nobody kept: another pool took the job over.
          span.setAttribute('error.type', 'ERR_LEASE_LOST');
          span.setStatus({ code: otel.SpanStatusCode.ERROR, message: 'lease lost' });
        }
        span.end();
      },
    };
  }
}

/** The end of an attempt that has no span (no SDK registered): nothing to record. */
function endNothing(): void {
  return undefined;
}

/** `error.type`: the library's (or the error's own) string code, else its class name. */
function errorType(error: Error): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && code !== '' ? code : error.name || 'Error';
}
