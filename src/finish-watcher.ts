import { duplicateClient, watchConnection, type RedisClient } from './connection.js';
import { QueueClosedError, WaitTimeoutError } from './errors.js';
import type { Logger } from './logger.js';
import { decodeEvents, type FinishEvent } from './redis/protocol/events.js';

export type CheckResult<T> = { done: true; value: T } | { done: false };

/** Re-check this often even without events, in case one was missed. */
const SAFETY_RECHECK_MS = 5000;

/**
 * Waits for jobs and batches to finish, from any process, without polling:
 * one pub/sub connection per queue, opened on first use, listening to the
 * channel the scripts publish finished jobs on. Every wait also re-reads the
 * state from Redis when it starts, after a reconnection and every few seconds,
 * so a message lost with a dropped connection cannot hang it.
 */
export class FinishWatcher {
  readonly #source: RedisClient;
  readonly #channel: string;
  readonly #logger: Logger;
  #subscriber: RedisClient | undefined;
  #subscribed: Promise<void> | undefined;
  #closed = false;
  readonly #watchers = new Map<string, Set<(event?: FinishEvent) => void>>();
  /** Rejecters of the waits under way, run by `close()`. */
  readonly #closers = new Set<() => void>();

  constructor(source: RedisClient, channel: string, logger: Logger) {
    this.#source = source;
    this.#channel = channel;
    this.#logger = logger;
  }

  #subscribe(): Promise<void> {
    if (this.#subscribed) return this.#subscribed;
    // Pub/sub needs a connection of its own; it waits out Redis restarts.
    const subscriber = duplicateClient(this.#source, {
      maxRetriesPerRequest: null,
      lazyConnect: false,
    });
    this.#subscriber = subscriber;
    watchConnection(subscriber, this.#logger, 'Queue');
    subscriber.on('message', (channel: string, message: string) => {
      if (channel === this.#channel) this.#dispatch(message);
    });
    // After a reconnection ioredis subscribes again, but messages sent meanwhile are gone: re-check everything.
    let first = true;
    subscriber.on('ready', () => {
      if (first) first = false;
      else this.#notifyAll();
    });
    this.#subscribed = subscriber.subscribe(this.#channel).then(() => undefined);
    this.#subscribed.catch(() => {
      this.#subscribed = undefined;
    });
    return this.#subscribed;
  }

  #dispatch(message: string): void {
    for (const event of decodeEvents(message)) {
      if (event.state === 'batch') {
        this.#notify(`batch:${event.id}`, event);
        continue;
      }
      this.#notify(`job:${event.id}`, event);
      if (event.batchId) this.#notify(`batch:${event.batchId}`, event);
    }
  }

  #notify(key: string, event: FinishEvent): void {
    for (const watcher of this.#watchers.get(key) ?? []) watcher(event);
  }

  #notifyAll(): void {
    for (const set of this.#watchers.values()) for (const watcher of set) watcher();
  }

  /**
   * Resolve with the first `done` result of `check`, called now, on every
   * event for `key` (`job:<id>` or `batch:<id>`), after reconnections and as
   * a safety net every few seconds. A `check` that throws rejects the wait.
   */
  async wait<T>(
    key: string,
    check: (event?: FinishEvent) => Promise<CheckResult<T>>,
    { timeout, what, signal }: { timeout?: number; what: string; signal?: AbortSignal },
  ): Promise<T> {
    if (this.#closed) throw new QueueClosedError('The queue is closed');
    signal?.throwIfAborted();
    await this.#subscribe();
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      let running = false;
      let rerun = false;
      // An event carrying a payload must reach `check` even if it arrives while a check runs.
      let pendingEvent: FinishEvent | undefined;
      const finish = (done: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        clearInterval(safety);
        signal?.removeEventListener('abort', onAbort);
        this.#closers.delete(onClose);
        this.#watchers.get(key)?.delete(trigger);
        if (this.#watchers.get(key)?.size === 0) this.#watchers.delete(key);
        done();
      };
      const trigger = (event?: FinishEvent) => {
        if (event?.payload || event?.state === 'removed') pendingEvent = event;
        if (running) {
          rerun = true;
          return;
        }
        void run();
      };
      const run = async () => {
        running = true;
        try {
          do {
            rerun = false;
            const event = pendingEvent;
            pendingEvent = undefined;
            const result = await check(event);
            if (result.done) return finish(() => resolve(result.value));
          } while (rerun && !settled);
        } catch (error) {
          finish(() => reject(error));
        } finally {
          running = false;
        }
      };
      const timer =
        timeout === undefined
          ? undefined
          : setTimeout(() => finish(() => reject(new WaitTimeoutError(what, timeout))), timeout);
      const safety = setInterval(() => trigger(), SAFETY_RECHECK_MS);
      let set = this.#watchers.get(key);
      if (!set) this.#watchers.set(key, (set = new Set()));
      set.add(trigger);
      const onClose = () =>
        finish(() => reject(new QueueClosedError('The queue was closed while waiting')));
      this.#closers.add(onClose);
      // The caller gave up (an HTTP client went away): stop waiting, with the signal's reason.
      const onAbort = () => finish(() => reject(signal?.reason));
      if (signal?.aborted) onAbort();
      else signal?.addEventListener('abort', onAbort);
      trigger();
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const close of this.#closers) close();
    this.#closers.clear();
    const subscriber = this.#subscriber;
    this.#subscriber = undefined;
    if (subscriber) subscriber.disconnect();
  }
}
