import type { BatchProgress } from './batch.js';
import type { ItemProgress } from './progress-follower.js';
import { MAX_TIMER_MS } from './job-options.js';
import { checkFunction, checkInteger, checkKnownKeys, checkObject, invalid } from './validate.js';

/** Options of `queue.waitForResult()`. */
export interface WaitOptions {
  /** Give up after this many ms with a `WaitTimeoutError` (the job goes on). @default no limit */
  timeout?: number;
  /** Stop waiting when this signal aborts (rejects with its reason; the job goes on). */
  signal?: AbortSignal;
}

/** Options of `queue.waitForResult()`. */
export interface WaitForResultOptions<P = unknown> extends WaitOptions {
  /**
   * Called with the job's progress (`ctx.progress()` in its handler): its
   * latest value when the wait starts, if it has one, then each new value
   * stored, in order (coalesced values may be skipped), the last one before
   * the wait settles.
   */
  onProgress?: (progress: P) => void;
}

/** Options of `queue.waitForBatch()`. */
export interface WaitForBatchOptions extends WaitOptions {
  /** Called with the batch's progress when the wait starts and each time one of its jobs finishes. */
  onProgress?: (progress: BatchProgress) => void;
  /**
   * Called with the progress of each item (`ctx.progress()` in its handler):
   * every item's latest value when the wait starts, then each new value, in
   * order per item, the last ones before the wait settles.
   */
  onItemProgress?: (item: ItemProgress) => void;
}

/** Validate wait options; `known` lists the keys this kind of wait takes. */
export function checkWaitOptions(
  options: unknown,
  known: readonly string[] = ['timeout', 'signal'],
): void {
  const o = checkObject('wait options', options);
  checkKnownKeys('wait options', o, known);
  if (o.timeout !== undefined) checkInteger('timeout', o.timeout, { min: 1, max: MAX_TIMER_MS });
  if (o.onProgress !== undefined) checkFunction('onProgress', o.onProgress);
  if (o.onItemProgress !== undefined) checkFunction('onItemProgress', o.onItemProgress);
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) {
    invalid('signal', 'an AbortSignal', o.signal);
  }
}
