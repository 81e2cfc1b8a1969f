import { describe, it, expect, vi } from 'vitest';
import type * as ErrorsModule from '../../src/errors.js';
import {
  AttemptAbortedError,
  BatchExistsError,
  BatchNotFoundError,
  InvalidJobStateError,
  isWorkerPoolError,
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
  CostOverLimitError,
  CostReportError,
  QuotaExceededError,
  RateLimitError,
  RedisRefusedError,
  RedisUnavailableError,
  SerializationError,
  toStoredError,
  UnreadableThrownError,
  UnrecoverableError,
  WaitTimeoutError,
  WorkerPoolError,
} from '../../src/errors.js';

describe('error classes', () => {
  it.each([
    ['WorkerPoolError', new WorkerPoolError('x'), 'ERR_WORKER_POOL'],
    ['UnrecoverableError', new UnrecoverableError(), 'ERR_UNRECOVERABLE'],
    ['JobTimeoutError', new JobTimeoutError(100), 'ERR_JOB_TIMEOUT'],
    ['LeaseLostError', new LeaseLostError('7'), 'ERR_LEASE_LOST'],
    ['PoolClosedError', new PoolClosedError(), 'ERR_POOL_CLOSED'],
    ['MissingHandlerError', new MissingHandlerError('page', ['a']), 'ERR_NO_HANDLER'],
    ['CostOverLimitError', new CostOverLimitError('7', 11, 10, 60_000), 'ERR_COST_OVER_LIMIT'],
    ['CostReportError', new CostReportError('twice'), 'ERR_COST_REPORT'],
    ['SerializationError', new SerializationError('x', 'data'), 'ERR_NOT_SERIALIZABLE'],
    ['PayloadTooLargeError', new PayloadTooLargeError('Job data', 2, 1), 'ERR_PAYLOAD_TOO_LARGE'],
    ['NonErrorThrownError', new NonErrorThrownError('s', "'s'"), 'ERR_NON_ERROR_THROWN'],
    ['JobFailedError', new JobFailedError('1', { name: 'Error', message: 'm' }), 'ERR_JOB_FAILED'],
    ['JobNotFoundError', new JobNotFoundError('1'), 'ERR_JOB_NOT_FOUND'],
    ['WaitTimeoutError', new WaitTimeoutError('job 1', 10), 'ERR_WAIT_TIMEOUT'],
    [
      'InvalidJobStateError',
      new InvalidJobStateError('1', 'active', 'retry'),
      'ERR_INVALID_JOB_STATE',
    ],
    ['RateLimitError', new RateLimitError(10), 'ERR_RATE_LIMITED'],
    ['QuotaExceededError', new QuotaExceededError('insufficient_quota'), 'ERR_QUOTA_EXCEEDED'],
    ['QueueClosedError', new QueueClosedError(), 'ERR_QUEUE_CLOSED'],
    ['RedisUnavailableError', new RedisUnavailableError('x'), 'ERR_REDIS_UNAVAILABLE'],
    ['RedisRefusedError', new RedisRefusedError('x'), 'ERR_REDIS_REFUSED'],
    ['BatchNotFoundError', new BatchNotFoundError('b'), 'ERR_BATCH_NOT_FOUND'],
    ['BatchExistsError', new BatchExistsError('b'), 'ERR_BATCH_EXISTS'],
    ['UnreadableThrownError', new UnreadableThrownError('r'), 'ERR_UNREADABLE_ERROR'],
    ['AttemptAbortedError', new AttemptAbortedError('r'), 'ERR_ABORTED'],
  ])('%s has its name and code and is a WorkerPoolError', (name, error, code) => {
    expect(error.name).toBe(name);
    expect(error.code).toBe(code);
    expect(error).toBeInstanceOf(WorkerPoolError);
    expect(error).toBeInstanceOf(Error);
    expect(String(error)).toMatch(new RegExp(`^${name}: `));
  });

  it('takes a custom code in the base class', () => {
    expect(new WorkerPoolError('x', 'ERR_CUSTOM').code).toBe('ERR_CUSTOM');
  });

  it('names a subclass of a subclass by its own name', () => {
    class RateLimited extends UnrecoverableError {}
    const error = new RateLimited('slow down');
    expect(error.name).toBe('RateLimited');
    expect(error.code).toBe('ERR_UNRECOVERABLE');
    expect(error).toBeInstanceOf(UnrecoverableError);
  });

  it('makes MissingHandlerError an UnrecoverableError, so the job fails at once', () => {
    const error = new MissingHandlerError('page', ['summary', 'email']);
    expect(error).toBeInstanceOf(UnrecoverableError);
    expect(error.jobName).toBe('page');
    expect(error.message).toBe(
      'No handler for job name `page`; this pool handles `summary`, `email`',
    );
    expect(new MissingHandlerError('page', []).message).toBe(
      'No handler for job name `page`; this pool handles no job names',
    );
  });

  it('keeps the cause of an UnrecoverableError', () => {
    const cause = new Error('400 Bad Request');
    const error = new UnrecoverableError('bad input', { cause });
    expect(error.cause).toBe(cause);
    expect(new UnrecoverableError().message).toBe('Unrecoverable error');
  });

  it('carries the details callers need', () => {
    const timeout = new JobTimeoutError(250);
    expect(timeout.timeout).toBe(250);
    expect(timeout.message).toBe('Job timed out after 250 ms');

    const lease = new LeaseLostError('42');
    expect(lease.jobId).toBe('42');
    expect(lease.message).toBe(
      'Lost the lease on job 42: its lease expired or the job was taken over',
    );
    expect(new LeaseLostError('42', 'it was removed').message).toBe(
      'Lost the lease on job 42: it was removed',
    );

    expect(new PoolClosedError().message).toBe('The worker pool is closed');
    expect(new SerializationError('m', 'data.x').path).toBe('data.x');

    const tooLarge = new PayloadTooLargeError('Job data', 2048, 1024);
    expect([tooLarge.size, tooLarge.limit]).toEqual([2048, 1024]);
    expect(tooLarge.message).toBe(
      'Job data is 2048 bytes once serialised, over the limit of 1024 bytes (`maxPayloadSize`)',
    );

    const nonError = new NonErrorThrownError({ a: 1 }, '{ a: 1 }');
    expect(nonError.value).toEqual({ a: 1 });
    expect(nonError.message).toBe('Handler threw a non-Error value: { a: 1 }');

    const notFound = new JobNotFoundError('9', 'Batch');
    expect(notFound.jobId).toBe('9');
    expect(notFound.message).toBe('Batch 9 was not found (never added, or removed by retention)');
    expect(new JobNotFoundError('9').message).toMatch(/^Job 9 was not found/);

    expect(new WaitTimeoutError('job 3', 500).message).toBe(
      'Timed out after 500 ms waiting for job 3',
    );

    const state = new InvalidJobStateError('5', 'active', 'retry');
    expect([state.jobId, state.state]).toEqual(['5', 'active']);
    expect(state.message).toBe('Cannot retry job 5: it is active');

    expect(new QueueClosedError().message).toBe('The queue is closed');
    expect(new QueueClosedError('Queue `pages` is closed').message).toBe('Queue `pages` is closed');

    const cause = new Error('connect ECONNREFUSED 127.0.0.1:1');
    const unavailable = new RedisUnavailableError('Could not connect to Redis at x', { cause });
    expect(unavailable.message).toBe('Could not connect to Redis at x');
    expect(unavailable.cause).toBe(cause);
    const refused = new RedisRefusedError("Redis refused the pool's commands: NOPERM", { cause });
    expect(refused.cause).toBe(cause);

    const missingBatch = new BatchNotFoundError('ebook-1');
    expect(missingBatch.batchId).toBe('ebook-1');
    expect(missingBatch.message).toBe(
      'Batch ebook-1 was not found (never added, or removed by retention)',
    );
    expect(missingBatch).not.toBeInstanceOf(JobNotFoundError);

    const exists = new BatchExistsError('ebook-1', { cause });
    expect(exists.batchId).toBe('ebook-1');
    expect(exists.cause).toBe(cause);
    expect(exists.message).toBe(
      'Batch ebook-1 already exists: give each batch its own `batchId` (or leave it out to get a fresh one)',
    );

    expect(new UnreadableThrownError('getter exploded').message).toBe(
      'Handler threw a value that cannot be read (reading it threw: getter exploded)',
    );
    const aborted = new AttemptAbortedError('shutdown');
    expect(aborted.reason).toBe('shutdown');
    expect(aborted.message).toBe('The attempt was aborted: shutdown');
  });

  it("gives every class a static code equal to its instances' code", () => {
    expect(RateLimitError.code).toBe('ERR_RATE_LIMITED');
    expect(new RateLimitError(1).code).toBe(RateLimitError.code);
    expect(MissingHandlerError.code).toBe('ERR_NO_HANDLER');
    expect(OptionTypeError.code).toBe(new OptionTypeError('m', 'x').code);
    expect(OptionRangeError.code).toBe(new OptionRangeError('m', 'x').code);
  });

  it("keeps MissingHandlerError's code without writing over a readonly field", () => {
    const error = new MissingHandlerError('page', []);
    expect(error.code).toBe('ERR_NO_HANDLER');
    expect(Object.getOwnPropertyDescriptor(error, 'code')?.value).toBe('ERR_NO_HANDLER');
  });
});

describe('JobFailedError', () => {
  it('carries the stored error and rebuilds it as cause', () => {
    const stored = { name: 'RateLimitError', message: '429 Too Many Requests', code: 'E429' };
    const error = new JobFailedError('17', stored);
    expect(error.jobId).toBe('17');
    expect(error.jobError).toBe(stored);
    expect(error.message).toBe('Job 17 failed: 429 Too Many Requests');
    expect(error.cause).toBeInstanceOf(Error);
    expect(error.cause).toMatchObject({
      name: 'RateLimitError',
      message: '429 Too Many Requests',
      code: 'E429',
    });
  });

  it('keeps the stored stack on the cause', () => {
    const stored = { name: 'Error', message: 'm', stack: 'Error: m\n    at handler (x.js:1:1)' };
    const error = new JobFailedError('1', stored);
    expect((error.cause as Error).stack).toBe(stored.stack);
  });
});

describe('option errors', () => {
  it('makes OptionTypeError a TypeError with a code and the option name', () => {
    const error = new OptionTypeError('msg', 'concurrency');
    expect(error).toBeInstanceOf(TypeError);
    expect(error).not.toBeInstanceOf(WorkerPoolError);
    expect(error.name).toBe('OptionTypeError');
    expect(error.code).toBe('ERR_INVALID_OPTION');
    expect(error.option).toBe('concurrency');
    expect(error.message).toBe('msg');
  });

  it('makes OptionRangeError a RangeError with a code and the option name', () => {
    const error = new OptionRangeError('msg', 'CONCURRENT_WORKERS');
    expect(error).toBeInstanceOf(RangeError);
    expect(error.name).toBe('OptionRangeError');
    expect(error.code).toBe('ERR_OPTION_OUT_OF_RANGE');
    expect(error.option).toBe('CONCURRENT_WORKERS');
  });
});

describe('toStoredError', () => {
  it('keeps name, message and code', () => {
    const stored = toStoredError(new JobTimeoutError(5));
    expect(stored).toMatchObject({
      name: 'JobTimeoutError',
      message: 'Job timed out after 5 ms',
      code: 'ERR_JOB_TIMEOUT',
    });
  });

  it('keeps a numeric code as a string', () => {
    const error = Object.assign(new Error('x'), { code: 429 });
    expect(toStoredError(error).code).toBe('429');
  });

  it('leaves out a code that is not a string or number', () => {
    const error = Object.assign(new Error('x'), { code: { nested: true } });
    expect(toStoredError(error)).not.toHaveProperty('code');
    expect(toStoredError(new Error('plain'))).not.toHaveProperty('code');
  });

  it('trims the stack to its first 12 lines', () => {
    const error = new Error('deep');
    error.stack = ['Error: deep', ...Array.from({ length: 30 }, (_, i) => `    at f${i}`)].join(
      '\n',
    );
    const stored = toStoredError(error);
    expect(stored.stack?.split('\n')).toHaveLength(12);
    expect(stored.stack?.split('\n')[0]).toBe('Error: deep');
    expect(stored.stack).toContain('at f10');
    expect(stored.stack).not.toContain('at f11');
  });

  it('leaves out a missing stack', () => {
    const error = new Error('x');
    delete error.stack;
    expect(toStoredError(error)).not.toHaveProperty('stack');
  });

  it('never throws on a strange error', () => {
    const error = new Error('x');
    Object.defineProperty(error, 'name', { value: 42 });
    Object.defineProperty(error, 'message', { value: { text: 'odd' } });
    const stored = toStoredError(error);
    expect(stored.name).toBe('Error');
    expect(stored.message).toBe('[object Object]');
  });

  it('gives a plain, JSON-friendly object', () => {
    const stored = toStoredError(new UnrecoverableError('no'));
    expect(JSON.parse(JSON.stringify(stored))).toEqual(stored);
  });
});

describe('RateLimitError', () => {
  it('keeps a retry-after of 0 ("retry now") and falls back to 1 s only for nonsense', async () => {
    const { RateLimitError } = await import('../../src/errors.js');
    expect(new RateLimitError(0).retryAfter).toBe(0);
    expect(new RateLimitError(1500.2).retryAfter).toBe(1501);
    expect(new RateLimitError(-5).retryAfter).toBe(1000);
    expect(new RateLimitError(Number.NaN).retryAfter).toBe(1000);
    expect(new RateLimitError(2000)).toMatchObject({
      code: 'ERR_RATE_LIMITED',
      name: 'RateLimitError',
    });
  });
});

describe('brands: is() and instanceof', () => {
  it('answers is() like instanceof, subclasses included', () => {
    const missing = new MissingHandlerError('page', []);
    expect(MissingHandlerError.is(missing)).toBe(true);
    expect(UnrecoverableError.is(missing)).toBe(true);
    expect(WorkerPoolError.is(missing)).toBe(true);
    expect(isWorkerPoolError(missing)).toBe(true);
    expect(RateLimitError.is(missing)).toBe(false);
    expect(MissingHandlerError.is(new UnrecoverableError())).toBe(false);
  });

  it('works unbound, e.g. as a filter', () => {
    const errors = [new RateLimitError(5), new Error('x'), new JobTimeoutError(1)];
    expect(errors.filter(RateLimitError.is)).toEqual([errors[0]]);
    expect(errors.filter(isWorkerPoolError)).toHaveLength(2);
  });

  it.each([
    ['null', null],
    ['undefined', undefined],
    ['a string', 'ERR_RATE_LIMITED'],
    ['a plain Error', new Error('x')],
    ['an object with the code', { code: 'ERR_RATE_LIMITED', retryAfter: 5 }],
    ['an object without a prototype', Object.create(null) as object],
  ])('says no for %s', (_, value) => {
    expect(RateLimitError.is(value)).toBe(false);
    expect(isWorkerPoolError(value)).toBe(false);
    expect(value instanceof RateLimitError).toBe(false);
  });

  it('says no from is(), without throwing, for a proxy whose traps throw', () => {
    const hostile = new Proxy(
      {},
      {
        getPrototypeOf() {
          throw new Error('trap');
        },
      },
    );
    expect(isWorkerPoolError(hostile)).toBe(false);
    expect(RateLimitError.is(hostile)).toBe(false);
    // instanceof keeps the language's own behaviour here: the trap's error goes through.
    expect(() => hostile instanceof WorkerPoolError).toThrow('trap');
  });

  it('keeps the option errors apart from WorkerPoolError', () => {
    const typeError = new OptionTypeError('m', 'x');
    expect(OptionTypeError.is(typeError)).toBe(true);
    expect(isWorkerPoolError(typeError)).toBe(false);
    expect(typeError instanceof WorkerPoolError).toBe(false);
    expect(OptionRangeError.is(typeError)).toBe(false);
    expect(OptionRangeError.is(new OptionRangeError('m', 'x'))).toBe(true);
  });

  it('keeps the ordinary instanceof for a class a user derives', () => {
    class QuotaError extends RateLimitError {}
    const quota = new QuotaError(100);
    expect(quota).toBeInstanceOf(QuotaError);
    expect(quota).toBeInstanceOf(RateLimitError);
    expect(quota.code).toBe('ERR_RATE_LIMITED');
    expect(RateLimitError.is(quota)).toBe(true);
    // A RateLimitError is not a QuotaError: the user's class has no brand of its own.
    expect(new RateLimitError(100)).not.toBeInstanceOf(QuotaError);
  });

  it('hides the brand from the instance: not an own or enumerable property', () => {
    const error = new RateLimitError(5);
    expect(Object.getOwnPropertySymbols(error)).toEqual([]);
    expect(Object.keys(error)).not.toContain('code-brand');
    expect(JSON.stringify({ ...error })).not.toContain('redis-worker-pool');
  });
});

describe('two copies of the module', () => {
  // Emptying the module registry makes the loader evaluate errors.ts and the
  // files under errors/ again: a second copy with classes of its own, as with
  // two installs of the package. (A query string on errors.ts alone would load
  // the same classes again through its re-exports.)
  const loadCopy = async () => {
    vi.resetModules();
    return (await import('../../src/errors.js')) as typeof ErrorsModule;
  };

  it('are really two copies', async () => {
    const other = await loadCopy();
    expect(other.RateLimitError).not.toBe(RateLimitError);
    expect(Object.getPrototypeOf(new other.RateLimitError(1))).not.toBe(RateLimitError.prototype);
  });

  it("recognise each other's errors by instanceof and is()", async () => {
    const other = await loadCopy();
    const theirs = new other.RateLimitError(250, 'slow down');
    expect(theirs instanceof RateLimitError).toBe(true);
    expect(theirs instanceof WorkerPoolError).toBe(true);
    expect(RateLimitError.is(theirs)).toBe(true);
    expect(isWorkerPoolError(theirs)).toBe(true);
    expect(theirs instanceof JobTimeoutError).toBe(false);

    const ours = new MissingHandlerError('page', []);
    expect(ours instanceof other.UnrecoverableError).toBe(true);
    expect(other.MissingHandlerError.is(ours)).toBe(true);
    expect(other.isWorkerPoolError(ours)).toBe(true);
    expect(ours instanceof other.RateLimitError).toBe(false);

    const option = new other.OptionRangeError('m', 'concurrency');
    expect(option instanceof OptionRangeError).toBe(true);
    expect(option instanceof RangeError).toBe(true);
    expect(option instanceof OptionTypeError).toBe(false);
  });
});
