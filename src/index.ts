// The public face of redis-worker-pool: every export is named here on purpose.
export { Queue } from './queue.js';
export type { BulkJob } from './queue.js';
export type { WaitOptions, WaitForBatchOptions, WaitForResultOptions } from './wait-options.js';
export type { ItemProgress } from './progress-follower.js';
export type { CancelOptions } from './cancel.js';
export type { ConnectedPool, GetJobsOptions, JobCounts, QueueMetrics } from './queue-reader.js';
export type { PauseReason } from './redis/protocol/queue-state.js';
export type { GroupCounts, GroupSummary, GroupTotals } from './redis/protocol/group-state.js';

export { WorkerPool } from './worker-pool.js';
export type { CloseOptions, PoolState } from './worker-pool.js';
export type { PoolInfo } from './pool-info.js';
export type { HandlerContext, JobHandler, JobHandlers } from './handlers.js';

export type { WorkerPoolEvents } from './events.js';
export type { PoolStats } from './stats.js';
export type {
  ConcurrencyChange,
  ConcurrencyChangeReason,
  ConcurrencyRange,
} from './adaptive-concurrency.js';
export { formatStatsLine } from './stats.js';

export type {
  AddedJob,
  AnyJob,
  DefaultJobMap,
  Job,
  JobData,
  JobDefinition,
  JobInfo,
  JobMap,
  JobName,
  JobResult,
  JobState,
} from './job.js';
export type { AddedBatch, BatchItem, BatchOptions, BatchProgress, BatchResult } from './batch.js';

export type { ConnectionOptions, GroupLimits, QueueOptions, WorkerPoolOptions } from './options.js';
export { MAX_GROUP_BYTES } from './groups.js';
export { DEFAULT_POOL_OPTIONS, DEFAULT_QUEUE_OPTIONS } from './options.js';
export type { DefaultJobOptions, JobCache, JobOptions } from './job-options.js';
export type { Backoff, BackoffOptions } from './backoff.js';
export { DEFAULT_BACKOFF } from './backoff.js';
export type { KeepJobs } from './retention.js';
export { DEFAULT_REMOVE_ON_COMPLETE, DEFAULT_REMOVE_ON_FAIL } from './retention.js';
export type { ConnectionOption, RedisClient } from './connection.js';
export type { Logger } from './logger.js';
export type { LogFields, LogMethod, PinoLikeLogger } from './logger.js';
export { formatLogLine, pinoLogger } from './logger.js';

export type { LimiterWindow } from './limiter.js';

export { optionsFromEnv, perMinute, redisUrlFromEnv, ENV_DEFAULTS } from './env.js';
export type { EnvPoolOptions } from './env.js';

export {
  AttemptAbortedError,
  BatchExistsError,
  BatchNotFoundError,
  CostOverLimitError,
  CostReportError,
  InvalidJobStateError,
  isWorkerPoolError,
  JobCancelledError,
  JobFailedError,
  JobNotFoundError,
  JobTimeoutError,
  LeaseLostError,
  MissingHandlerError,
  NonErrorThrownError,
  OptionRangeError,
  OptionTypeError,
  PayloadTooLargeError,
  PoolClosedError,
  QueueClosedError,
  QuotaExceededError,
  RateLimitError,
  RedisRefusedError,
  RedisUnavailableError,
  SerializationError,
  UnreadableThrownError,
  UnrecoverableError,
  WaitTimeoutError,
  WorkerPoolError,
} from './errors.js';
export type { RateLimitErrorOptions, RateLimitScope, StoredError } from './errors.js';
