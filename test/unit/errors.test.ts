import { describe, it, expect } from 'vitest';
import {
  InvalidJobStateError,
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
  SerializationError,
  toStoredError,
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
