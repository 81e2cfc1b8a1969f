import { QueueClosedError, WaitTimeoutError } from './errors.js';
import { EventStream, type EventSource, type Follower } from './event-stream.js';
import type { Topic } from './redis/protocol/events.js';

export type CheckResult<T> = { done: true; value: T } | { done: false };

/**
 * Look at Redis again this often even without an event: an entry trimmed from
 * the stream before this process read it (it fell ~1000 calls behind) is only
 * found that way.
 */
const SAFETY_RECHECK_MS = 5000;

/**
 * Waits for jobs and batches to finish, from any process, without polling: a
 * wait follows its job's (or batch's) events on the queue's events stream
 * (one reading connection per queue, see `EventStream`) and looks at Redis
 * when it starts, on each event, and every few seconds.
 *
 * The events only say when to look: what a wait returns is read from Redis,
 * either from the job or batch itself or, for a job removed as it finished,
 * from the stream entry the script wrote with it.
 *
 * Issue 12's progress followers belong here: a `progress` event kind on the
 * same topics, taken by the same loop, the value read from the job.
 */
export class FinishWatcher {
  readonly #stream: EventStream;
  #closed = false;
  /** Rejecters of the waits under way, run by `close()`. */
  readonly #closers = new Set<() => void>();

  constructor(open: () => EventSource) {
    this.#stream = new EventStream(open);
  }

  /**
   * Resolve with the first `done` result of `check`, called once the wait
   * follows `topic`, then each time events about it came (taken with
   * `follower.take()`), and every few seconds. A `check` that throws rejects
   * the wait.
   */
  async wait<T>(
    topic: Topic,
    check: (follower: Follower) => Promise<CheckResult<T>>,
    { timeout, what, signal }: { timeout?: number; what: string; signal?: AbortSignal },
  ): Promise<T> {
    if (this.#closed) throw closedError('The queue is closed');
    signal?.throwIfAborted();
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      let follower: Follower | undefined;
      const finish = (done: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.#closers.delete(onClose);
        follower?.close();
        done();
      };
      const timer =
        timeout === undefined
          ? undefined
          : setTimeout(() => finish(() => reject(new WaitTimeoutError(what, timeout))), timeout);
      // The caller gave up (an HTTP client went away): stop waiting, with the signal's reason.
      const onAbort = () => finish(() => reject(signal?.reason));
      signal?.addEventListener('abort', onAbort);
      const onClose = () => finish(() => reject(closedError('The queue was closed while waiting')));
      this.#closers.add(onClose);
      const run = async () => {
        follower = await this.#stream.follow(topic);
        if (settled) return follower.close();
        for (;;) {
          const result = await check(follower);
          if (settled) return;
          if (result.done) return finish(() => resolve(result.value));
          await follower.changed(SAFETY_RECHECK_MS);
          if (settled) return;
        }
      };
      run().catch((error: unknown) => finish(() => reject(error)));
    });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const close of [...this.#closers]) close();
    this.#closers.clear();
    this.#stream.close(closedError('The queue was closed while waiting'));
  }
}

function closedError(message: string): QueueClosedError {
  return new QueueClosedError(message);
}
