import type { BatchProgress } from './batch.js';
import { MAX_TIMER_MS } from './job-options.js';
import { checkFunction, checkInteger, checkKnownKeys, checkObject, invalid } from './validate.js';

/** Options of `queue.waitForResult()`. */
export interface WaitOptions {
  /** Give up after this many ms with a `WaitTimeoutError` (the job goes on). @default no limit */
  timeout?: number;
  /** Stop waiting when this signal aborts (rejects with its reason; the job goes on). */
  signal?: AbortSignal;
}

/** Options of `queue.waitForBatch()`. */
export interface WaitForBatchOptions extends WaitOptions {
  /** Called with the batch's progress when the wait starts and each time one of its jobs finishes. */
  onProgress?: (progress: BatchProgress) => void;
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
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) {
    invalid('signal', 'an AbortSignal', o.signal);
  }
}
