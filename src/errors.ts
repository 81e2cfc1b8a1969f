/**
 * Every error class of the library, one file per concept under `errors/`
 * (how the brand works: `errors/brand.ts`). The rest of the library imports
 * them from here.
 */
export {
  AttemptAbortedError,
  JobCancelledError,
  JobTimeoutError,
  LeaseLostError,
  MissingHandlerError,
  NonErrorThrownError,
  UnreadableThrownError,
  UnrecoverableError,
} from './errors/attempt-errors.js';
export {
  PoolClosedError,
  QueueClosedError,
  RedisRefusedError,
  RedisUnavailableError,
} from './errors/lifecycle-errors.js';
export {
  CostOverLimitError,
  CostReportError,
  QuotaExceededError,
  RateLimitError,
  type RateLimitErrorOptions,
  type RateLimitScope,
} from './errors/limit-errors.js';
export { OptionRangeError, OptionTypeError } from './errors/option-errors.js';
export { PayloadTooLargeError, SerializationError } from './errors/payload-errors.js';
export {
  BatchExistsError,
  BatchNotFoundError,
  InvalidJobStateError,
  JobFailedError,
  JobNotFoundError,
  WaitTimeoutError,
} from './errors/queue-errors.js';
export { toStoredError, type StoredError } from './errors/stored-error.js';
export { isWorkerPoolError, WorkerPoolError } from './errors/worker-pool-error.js';
