import { EventEmitter } from 'eventemitter3';
import type { ConcurrencyChange } from './adaptive-concurrency.js';
import type { LeaseLostError } from './errors.js';
import type { AnyJob } from './job.js';
import type { Logger } from './logger.js';
import type { PoolStats } from './stats.js';

/**
 * The events of a `WorkerPool`. Every payload is one object, so fields can be
 * added without breaking listeners. A listener that throws (or rejects) is
 * reported as an `error` event and never breaks the pool.
 */
export interface WorkerPoolEvents<J> {
  /**
   * A worker started an attempt. `waited`: ms from the job's creation to this
   * claim (Redis clock); for a retry it includes earlier attempts and backoff.
   */
  active: [event: { job: AnyJob<J>; attempt: number; workerId: number; waited: number }];
  /** A running job's progress (`ctx.progress()`) was stored: the coalesced values only. */
  progress: [event: { job: AnyJob<J>; progress: unknown; attempt: number; workerId: number }];
  /** An attempt succeeded and its result is stored. */
  completed: [
    event: { job: AnyJob<J>; result: unknown; attempt: number; duration: number; workerId: number },
  ];
  /** An attempt failed and another is scheduled after `delay` ms. */
  retrying: [
    event: { job: AnyJob<J>; error: Error; attempt: number; delay: number; workerId: number },
  ];
  /**
   * The handler threw a `RateLimitError`: every pool of the queue holds off for
   * `retryAfter` ms, then the job runs again without spending an attempt.
   */
  rateLimited: [event: { job: AnyJob<J>; error: Error; retryAfter: number; workerId: number }];
  /**
   * The handler threw a `QuotaExceededError`: the job went back to the front
   * of `waiting` without spending an attempt, and the whole queue is paused
   * (every pool in every process) until `queue.resume()` or `worker-pool resume`.
   */
  quotaExceeded: [event: { job: AnyJob<J>; error: Error; workerId: number }];
  /** The job failed for good: attempts spent, or an `UnrecoverableError`. */
  failed: [event: { job: AnyJob<J>; error: Error; attempt: number; workerId: number }];
  /**
   * This pool found a job whose lease had expired (its pool crashed or hung)
   * and moved it back to `waiting`, or to `failed` when it had no attempts left.
   */
  stalled: [event: { jobId: string; name: string; outcome: 'retry' | 'failed' }];
  /**
   * This pool's outcome for an attempt was refused: it no longer held the
   * job's lease (another pool took the job over). Nothing was written.
   */
  leaseLost: [event: { job: AnyJob<J>; attempt: number; workerId: number; error: LeaseLostError }];
  /** Nothing is running and the queue has no job ready. Emitted once each time it happens. */
  drained: [];
  /**
   * An adaptive pool (`concurrency: { min, max }`) changed how many jobs it
   * runs at once, from `from` to `to`, for `reason`: `rateLimited`,
   * `timeout` or `latency` (cuts) or `healthy` (a raise).
   */
  concurrency: [event: ConcurrencyChange];
  /** Every `statsInterval` ms. */
  stats: [stats: PoolStats];
  /** Something went wrong outside a job: Redis unreachable, a listener threw. The pool carries on. */
  error: [event: { error: Error; context: string }];
}

type ErrorEvents = { error: [event: { error: Error; context: string }] };
type Listener = (...args: unknown[]) => unknown;
type Names<Events extends object> = EventEmitter.EventNames<Events>;

/**
 * An eventemitter3 emitter whose listeners cannot break the code that emits:
 * each listener is wrapped when it is added, so one that throws (or returns a
 * rejected promise) is reported as an `error` event and the next listener
 * still runs. Listeners of `error` itself that throw are only logged.
 */
export class SafeEventEmitter<Events extends ErrorEvents> extends EventEmitter<Events> {
  readonly #wrapped = new Map<string | symbol, WeakMap<Listener, Listener>>();
  #logger: Logger;

  constructor(logger: Logger) {
    super();
    this.#logger = logger;
  }

  protected setLogger(logger: Logger): void {
    this.#logger = logger;
  }

  #wrap(event: string | symbol, fn: Listener): Listener {
    let byFn = this.#wrapped.get(event);
    if (!byFn) this.#wrapped.set(event, (byFn = new WeakMap()));
    let wrapper = byFn.get(fn);
    if (!wrapper) {
      const fail = (thrown: unknown) => this.#listenerFailed(String(event), thrown);
      wrapper = function (this: unknown, ...args: unknown[]) {
        try {
          const returned = fn.apply(this, args);
          if (returned && typeof (returned as Promise<unknown>).catch === 'function')
            (returned as Promise<unknown>).catch(fail);
        } catch (thrown) {
          fail(thrown);
        }
      };
      byFn.set(fn, wrapper);
    }
    return wrapper;
  }

  #unwrap(event: string | symbol, fn: Listener | undefined): Listener | undefined {
    return fn && (this.#wrapped.get(event)?.get(fn) ?? fn);
  }

  #listenerFailed(event: string, thrown: unknown): void {
    const error = thrown instanceof Error ? thrown : new Error(String(thrown));
    this.#logger.error(`A listener of '${event}' threw: ${error.message}`, {
      scope: 'Worker Pool',
      event,
      err: error,
    });
    // An error thrown by an 'error' listener is only logged: emitting it again could loop forever.
    if (event !== 'error')
      this.emit('error' as never, ...([{ error, context: `listener of '${event}'` }] as never));
  }

  override on<T extends Names<Events>>(
    event: T,
    fn: EventEmitter.EventListener<Events, T>,
    context?: unknown,
  ): this {
    return super.on(event, this.#wrap(event, fn as Listener) as never, context);
  }

  override addListener<T extends Names<Events>>(
    event: T,
    fn: EventEmitter.EventListener<Events, T>,
    context?: unknown,
  ): this {
    return super.addListener(event, this.#wrap(event, fn as Listener) as never, context);
  }

  override once<T extends Names<Events>>(
    event: T,
    fn: EventEmitter.EventListener<Events, T>,
    context?: unknown,
  ): this {
    return super.once(event, this.#wrap(event, fn as Listener) as never, context);
  }

  override off<T extends Names<Events>>(
    event: T,
    fn?: EventEmitter.EventListener<Events, T>,
    context?: unknown,
    once?: boolean,
  ): this {
    return super.off(
      event,
      this.#unwrap(event, fn as Listener | undefined) as never,
      context,
      once,
    );
  }

  override removeListener<T extends Names<Events>>(
    event: T,
    fn?: EventEmitter.EventListener<Events, T>,
    context?: unknown,
    once?: boolean,
  ): this {
    return super.removeListener(
      event,
      this.#unwrap(event, fn as Listener | undefined) as never,
      context,
      once,
    );
  }
}
