import { inspect } from 'node:util';
import {
  AttemptAbortedError,
  JobTimeoutError,
  NonErrorThrownError,
  UnreadableThrownError,
} from './errors.js';
import type { AttemptOutcome } from './attempt-report.js';
import { serialize } from './serialize.js';

/** A thrown non-Error becomes an Error that says what was thrown. */
export function coerceError(thrown: unknown): Error {
  try {
    if (thrown instanceof Error) {
      // Everything downstream (logs, events, the stored error) reads these: an
      // Error whose getters throw is replaced by one that says so.
      void [thrown.name, thrown.message, thrown.stack, (thrown as { code?: unknown }).code];
      return thrown;
    }
    const description = inspect(thrown, { depth: 2, breakLength: Infinity, maxStringLength: 200 });
    return new NonErrorThrownError(
      thrown,
      description.length > 300 ? `${description.slice(0, 297)}...` : description,
    );
  } catch (unreadable) {
    const reason = unreadable instanceof Error ? safeMessage(unreadable) : 'unknown reason';
    return new UnreadableThrownError(reason);
  }
}

function safeMessage(error: Error): string {
  try {
    return String(error.message);
  } catch {
    return 'unreadable';
  }
}

function abortError(reason: unknown): Error {
  if (reason instanceof Error) return reason;
  return new AttemptAbortedError(reason);
}

/**
 * The abort side of one attempt, shaped like an AbortController. Its
 * AbortSignal is only created if the handler reads `signal`: a handler that
 * never does (a quick computation) costs no controller, no signal and no
 * listener. Aborting settles the attempt at once either way.
 */
export class AttemptController {
  #controller: AbortController | undefined;
  #aborted = false;
  #reason: unknown;
  /** Set by runAttempt: ends the attempt with the abort reason. */
  onAbort: ((reason: unknown) => void) | undefined;

  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.#aborted) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  get aborted(): boolean {
    return this.#aborted;
  }

  get reason(): unknown {
    return this.#reason;
  }

  abort(reason?: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason;
    this.#controller?.abort(reason);
    this.onAbort?.(reason);
  }
}

/**
 * Run one attempt: the handler races its timeout and its abort, and its
 * result must serialise. Never rejects: every way a handler can misbehave
 * (throwing a string, returning a BigInt, never settling) is an outcome.
 *
 * Written with one timer and a direct callback rather than promise-race
 * helpers or signal listeners: this runs once per job, and p-timeout alone
 * (which builds an Error per call for its stack trace) cost 15% of a pool's
 * CPU on a no-op handler.
 */
export function runAttempt(
  run: (controller: AttemptController) => unknown,
  controller: AttemptController,
  timeout: number,
): Promise<AttemptOutcome> {
  // Aborted before it began (the pool is closing): do not start the handler at all.
  if (controller.aborted)
    return Promise.resolve({ ok: false, error: abortError(controller.reason) });
  return new Promise<AttemptOutcome>((resolve) => {
    let settled = false;
    const finish = (outcome: AttemptOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      controller.onAbort = undefined;
      resolve(outcome);
    };
    // Aborted from outside (timeout, lease lost, pool closing): stop waiting for the handler.
    controller.onAbort = (reason) => finish({ ok: false, error: abortError(reason) });
    // Abort, rather than only stop waiting, so an HTTP call in the handler really stops.
    const timer = setTimeout(() => controller.abort(new JobTimeoutError(timeout)), timeout);
    let returned: unknown;
    try {
      returned = run(controller);
    } catch (thrown) {
      finish({ ok: false, error: coerceError(thrown) });
      return;
    }
    const succeed = (value: unknown) => {
      if (settled) return;
      try {
        finish({
          ok: true,
          result: serialize(value, 'The handler result', { path: 'result' }),
          value,
        });
      } catch (error) {
        finish({ ok: false, error: coerceError(error) });
      }
    };
    const fail = (thrown: unknown) => finish({ ok: false, error: coerceError(thrown) });
    if (returned !== null && typeof (returned as PromiseLike<unknown>)?.then === 'function') {
      Promise.resolve(returned).then(succeed, fail);
    } else {
      succeed(returned);
    }
  });
}
