import { describe, it, expect } from 'vitest';
import {
  JobTimeoutError,
  LeaseLostError,
  NonErrorThrownError,
  PoolClosedError,
  SerializationError,
  WorkerPoolError,
} from '../../src/errors.js';
import { AttemptController, coerceError, runAttempt } from '../../src/job-runner.js';

const never = () => new Promise<never>(() => {});

describe('runAttempt', () => {
  it('returns the handler’s result, serialised', async () => {
    const outcome = await runAttempt(
      async () => ({ text: 'done', n: 2 }),
      new AttemptController(),
      1000,
    );
    expect(outcome).toEqual({
      ok: true,
      result: '{"text":"done","n":2}',
      value: { text: 'done', n: 2 },
    });
  });

  it('accepts a synchronous handler', async () => {
    const outcome = await runAttempt(() => 42, new AttemptController(), 1000);
    expect(outcome).toEqual({ ok: true, result: '42', value: 42 });
  });

  it('stores undefined as null', async () => {
    const outcome = await runAttempt(async () => undefined, new AttemptController(), 1000);
    expect(outcome).toEqual({ ok: true, result: 'null', value: undefined });
  });

  it('hands the controller’s signal to the handler', async () => {
    const controller = new AttemptController();
    let given: AbortSignal | undefined;
    await runAttempt(
      (c) => {
        given = c.signal;
      },
      controller,
      1000,
    );
    expect(given).toBe(controller.signal);
  });

  it('turns a rejection into a failed outcome with the same error', async () => {
    const error = new Error('429 Too Many Requests');
    const outcome = await runAttempt(() => Promise.reject(error), new AttemptController(), 1000);
    expect(outcome).toEqual({ ok: false, error });
  });

  it('turns a synchronous throw into a failed outcome', async () => {
    const error = new TypeError('bad');
    const outcome = await runAttempt(
      () => {
        throw error;
      },
      new AttemptController(),
      1000,
    );
    expect(outcome).toEqual({ ok: false, error });
  });

  it('turns a thrown string into a NonErrorThrownError that says what was thrown', async () => {
    const outcome = await runAttempt(
      () => {
        throw 'quota exceeded';
      },
      new AttemptController(),
      1000,
    );
    expect(outcome.ok).toBe(false);
    const error = !outcome.ok ? outcome.error : undefined;
    expect(error).toBeInstanceOf(NonErrorThrownError);
    expect(error?.message).toBe("Handler threw a non-Error value: 'quota exceeded'");
    expect((error as NonErrorThrownError).value).toBe('quota exceeded');
  });

  it('fails with a SerializationError when the handler returns a function', async () => {
    const outcome = await runAttempt(async () => () => 1, new AttemptController(), 1000);
    expect(outcome.ok).toBe(false);
    const error = !outcome.ok ? outcome.error : undefined;
    expect(error).toBeInstanceOf(SerializationError);
    expect(error?.message).toBe(
      'The handler result cannot be stored as JSON: `result` is a function',
    );
  });

  it('fails with a SerializationError naming the path of a BigInt in the result', async () => {
    const outcome = await runAttempt(async () => ({ tokens: 10n }), new AttemptController(), 1000);
    const error = !outcome.ok ? outcome.error : undefined;
    expect(error).toBeInstanceOf(SerializationError);
    expect((error as SerializationError).path).toBe('result.tokens');
  });

  it('times out a handler that never settles, aborting its signal with the timeout error', async () => {
    const controller = new AttemptController();
    let given: AbortSignal | undefined;
    const outcome = await runAttempt(
      (c) => {
        given = c.signal;
        return never();
      },
      controller,
      30,
    );
    expect(outcome.ok).toBe(false);
    const error = !outcome.ok ? outcome.error : undefined;
    expect(error).toBeInstanceOf(JobTimeoutError);
    expect(error?.message).toBe('Job timed out after 30 ms');
    expect((error as JobTimeoutError).timeout).toBe(30);
    expect(given?.aborted).toBe(true);
    expect(given?.reason).toBe(error);
  });

  it('lets a handler that honours its signal stop at the timeout', async () => {
    let stopped = false;
    const outcome = await runAttempt(
      ({ signal }) =>
        new Promise((_, reject) => {
          signal.addEventListener('abort', () => {
            stopped = true;
            reject(signal.reason);
          });
        }),
      new AttemptController(),
      20,
    );
    expect(stopped).toBe(true);
    expect(!outcome.ok && outcome.error).toBeInstanceOf(JobTimeoutError);
  });

  it('ends the attempt with the reason of an external abort', async () => {
    const controller = new AttemptController();
    const reason = new LeaseLostError('17');
    const pending = runAttempt(never, controller, 5000);
    setTimeout(() => controller.abort(reason), 20);
    const started = Date.now();
    const outcome = await pending;
    expect(outcome).toEqual({ ok: false, error: reason });
    expect(Date.now() - started).toBeLessThan(4000);
  });

  it('ends at once when the signal is already aborted', async () => {
    const controller = new AttemptController();
    const reason = new PoolClosedError();
    controller.abort(reason);
    const outcome = await runAttempt(never, controller, 5000);
    expect(outcome).toEqual({ ok: false, error: reason });
  });

  it('turns a non-Error abort reason into an Error that says the attempt was aborted', async () => {
    const controller = new AttemptController();
    const pending = runAttempt(never, controller, 5000);
    controller.abort('closing');
    const outcome = await pending;
    const error = !outcome.ok ? outcome.error : undefined;
    expect(error).toBeInstanceOf(WorkerPoolError);
    expect(error).toMatchObject({
      code: 'ERR_ABORTED',
      message: 'The attempt was aborted: closing',
    });
  });

  it('does not start the handler when the signal is already aborted', async () => {
    const controller = new AttemptController();
    controller.abort(new PoolClosedError());
    let called = false;
    const outcome = await runAttempt(() => (called = true), controller, 5000);
    expect(called).toBe(false);
    expect(outcome.ok).toBe(false);
  });

  it('does not time out a handler that settles in time', async () => {
    const controller = new AttemptController();
    const outcome = await runAttempt(
      () => new Promise((resolve) => setTimeout(() => resolve('late but fine'), 10)),
      controller,
      500,
    );
    expect(outcome).toEqual({ ok: true, result: '"late but fine"', value: 'late but fine' });
    expect(controller.signal.aborted).toBe(false);
  });

  it('makes no AbortSignal for a handler that never reads it, and still ends on abort', async () => {
    const controller = new AttemptController();
    const pending = runAttempt(() => new Promise(() => {}), controller, 5000);
    controller.abort(new PoolClosedError());
    const outcome = await pending;
    expect(outcome).toMatchObject({ ok: false, error: { code: 'ERR_POOL_CLOSED' } });
    // Read after the abort, the signal is born aborted, with the reason.
    expect(controller.signal.aborted).toBe(true);
    expect(controller.signal.reason).toBeInstanceOf(PoolClosedError);
  });

  it('detaches from the controller once the attempt is over', async () => {
    const controller = new AttemptController();
    await runAttempt(() => 'ok', controller, 500);
    expect(controller.onAbort).toBeUndefined();
    await runAttempt(() => Promise.reject(new Error('x')), new AttemptController(), 500);
  });
});

describe('coerceError', () => {
  it('returns an Error as it is', () => {
    const error = new RangeError('x');
    expect(coerceError(error)).toBe(error);
  });

  it.each([
    ['a string', 'oops', "'oops'"],
    ['a number', 42, '42'],
    ['undefined', undefined, 'undefined'],
    ['null', null, 'null'],
    ['an object', { status: 429 }, '{ status: 429 }'],
  ])('describes %s', (_kind, value, description) => {
    const error = coerceError(value);
    expect(error).toBeInstanceOf(NonErrorThrownError);
    expect(error.message).toBe(`Handler threw a non-Error value: ${description}`);
  });

  it('keeps the description of a huge value short', () => {
    const error = coerceError({
      text: 'x'.repeat(10_000),
      more: Array.from({ length: 500 }, (_, i) => i),
    });
    const description = error.message.replace('Handler threw a non-Error value: ', '');
    expect(description.length).toBeLessThanOrEqual(300);
    expect(description.endsWith('...')).toBe(true);
  });
});
