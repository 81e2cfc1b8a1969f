import { OptionTypeError } from './errors.js';
import type { AnyJob, Job, JobData, JobName, JobResult } from './job.js';
import { describeValue, isPlainObject } from './validate.js';

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
  /**
   * Report progress or partial output (any JSON value, at most 1 MiB): stored
   * on the job (`getJob().progress`) and sent to its followers
   * (`waitForResult(id, { onProgress })`, the pool's `progress` event). Calls
   * are coalesced, the latest wins (at most one write per `progressInterval`),
   * so calling it per streamed token is fine; awaiting it is optional.
   * Ignored once the attempt ended or its lease is lost. Rejects with a
   * `SerializationError` or `PayloadTooLargeError` for a value it cannot store.
   */
  progress(value: unknown): Promise<void>;
  /**
   * The attempt's real cost units (the tokens the model API reported in
   * `usage`): settled in each `by: 'cost'` window of the pool's `limiter`, in
   * the sub-window the job's estimate (`add(..., { cost })`) was charged to,
   * as a refund or an extra charge, with the attempt's report (no extra round
   * trip). A finite number >= 0, rounded up. Once per attempt, before it ends:
   * a second call or a late one throws a `CostReportError`; a bad number an
   * `OptionTypeError` or `OptionRangeError`.
   */
  reportCost(units: number): void;
}

/** Runs jobs of one name. Return (or resolve with) the result; throw to fail the attempt. */
export type JobHandler<J, N extends JobName<J>> = (
  job: Job<JobData<J, N>, N>,
  context: HandlerContext,
) => JobResult<J, N> | Promise<JobResult<J, N>>;

/** One handler per job name, or one function for every name. */
export type JobHandlers<J> =
  { [N in JobName<J>]: JobHandler<J, N> } | ((job: AnyJob<J>, context: HandlerContext) => unknown);

export type AnyHandler = (job: Job, context: HandlerContext) => unknown;

/** The handlers a pool was given, validated, looked up by job name. */
export class HandlerRegistry {
  readonly #all: AnyHandler | undefined;
  readonly #byName = new Map<string, AnyHandler>();

  constructor(handlers: unknown) {
    if (typeof handlers === 'function') {
      this.#all = handlers as AnyHandler;
      return;
    }
    if (!isPlainObject(handlers)) {
      throw new OptionTypeError(
        `Expected \`handlers\` to be a function or an object of functions by job name, got ${describeValue(handlers)}`,
        'handlers',
      );
    }
    // Own keys only: a job named `constructor` or `__proto__` must not find Object.prototype's.
    for (const [name, handler] of Object.entries(handlers)) {
      if (typeof handler !== 'function') {
        throw new OptionTypeError(
          `Expected \`handlers.${name}\` to be a function, got ${describeValue(handler)}`,
          `handlers.${name}`,
        );
      }
      this.#byName.set(name, handler as AnyHandler);
    }
    if (this.#byName.size === 0) {
      throw new OptionTypeError(
        'Expected `handlers` to have at least one handler, got an empty object',
        'handlers',
      );
    }
  }

  get(name: string): AnyHandler | undefined {
    return this.#all ?? this.#byName.get(name);
  }

  /** The job names with a handler of their own (none when one function handles every name). */
  get names(): string[] {
    return [...this.#byName.keys()];
  }
}
