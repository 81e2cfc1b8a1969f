import { inspect } from 'node:util';
import pTimeout from 'p-timeout';
import { JobTimeoutError, NonErrorThrownError, WorkerPoolError } from './errors.js';
import { serialize } from './serialize.js';

/** What a handler gets besides the job. */
export interface HandlerContext {
  /**
   * Aborted when the attempt must stop: its `timeout` passed (reason: a
   * `JobTimeoutError`), the pool lost the job's lease (`LeaseLostError`), or
   * the pool is closing and handed the job back (`PoolClosedError`). Pass it
   * to `fetch`, the openai SDK, or anything that takes a signal.
   */
  readonly signal: AbortSignal;
  /** This attempt's number, from 1. */
  readonly attempt: number;
  /** Attempts the job has in all; `attempt === maxAttempts` is its last chance. */
  readonly maxAttempts: number;
  /** The worker slot running the job, from 1 to `concurrency` (the `N` of `[Worker-N]`). */
  readonly workerId: number;
}

export type AttemptOutcome =
  { ok: true; result: string; value: unknown } | { ok: false; error: Error };

/** A thrown non-Error becomes an Error that says what was thrown. */
export function coerceError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  const description = inspect(thrown, { depth: 2, breakLength: Infinity, maxStringLength: 200 });
  return new NonErrorThrownError(
    thrown,
    description.length > 300 ? `${description.slice(0, 297)}...` : description,
  );
}

function abortError(reason: unknown): Error {
  if (reason instanceof Error) return reason;
  return new WorkerPoolError(`The attempt was aborted: ${String(reason)}`, 'ERR_ABORTED');
}

/**
 * Run one attempt: the handler races its timeout and its signal, and its
 * result must serialise. Never throws: every way a handler can misbehave
 * (throwing a string, returning a BigInt, never settling) is an outcome.
 */
export async function runAttempt(
  run: (signal: AbortSignal) => unknown,
  controller: AbortController,
  timeout: number,
): Promise<AttemptOutcome> {
  const { signal } = controller;
  // Aborted before it began (the pool is closing): do not start the handler at all.
  if (signal.aborted) return { ok: false, error: abortError(signal.reason) };
  let onAbort: (() => void) | undefined;
  // The signal can be aborted from outside (lease lost, pool closing): stop waiting then too.
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(abortError(signal.reason));
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    const handled = Promise.resolve().then(() => run(signal));
    const value = await pTimeout(Promise.race([handled, aborted]), {
      milliseconds: timeout,
      fallback: () => {
        const error = new JobTimeoutError(timeout);
        // Abort first, so an HTTP call in the handler really stops.
        controller.abort(error);
        throw error;
      },
    });
    return { ok: true, result: serialize(value, 'The handler result', { path: 'result' }), value };
  } catch (thrown) {
    return { ok: false, error: coerceError(thrown) };
  } finally {
    if (onAbort) signal.removeEventListener('abort', onAbort);
    // A late rejection of `aborted` must not surface as an unhandled rejection.
    aborted.catch(() => {});
  }
}
