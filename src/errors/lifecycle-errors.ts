/** A pool or queue that is closed, or that could not start on its Redis. */
import { brand, hasBrand, type ErrorOptions } from './brand.js';
import { WorkerPoolError } from './worker-pool-error.js';

/** The pool is closed (or closing) and this operation cannot go on. */
export class PoolClosedError extends WorkerPoolError {
  static override readonly code = 'ERR_POOL_CLOSED';
  static {
    brand(this, this.code);
  }
  constructor(message = 'The worker pool is closed') {
    super(message);
  }
  static override is(value: unknown): value is PoolClosedError {
    return hasBrand(value, 'ERR_POOL_CLOSED');
  }
}

/** A `Queue` method was called after `queue.close()`, or a wait was under way when it closed. */
export class QueueClosedError extends WorkerPoolError {
  static override readonly code = 'ERR_QUEUE_CLOSED';
  static {
    brand(this, this.code);
  }
  constructor(message = 'The queue is closed') {
    super(message);
  }
  static override is(value: unknown): value is QueueClosedError {
    return hasBrand(value, 'ERR_QUEUE_CLOSED');
  }
}

/** `pool.start()` could not connect to Redis; the client's error is the `cause`. */
export class RedisUnavailableError extends WorkerPoolError {
  static override readonly code = 'ERR_REDIS_UNAVAILABLE';
  static {
    brand(this, this.code);
  }
  constructor(message: string, options?: ErrorOptions) {
    super(message, undefined, options);
  }
  static override is(value: unknown): value is RedisUnavailableError {
    return hasBrand(value, 'ERR_REDIS_UNAVAILABLE');
  }
}

/**
 * `pool.start()` reached Redis but Redis refused the pool's commands (an ACL
 * without the queue's keys or `EVALSHA`: `NOPERM`); Redis's error is the `cause`.
 */
export class RedisRefusedError extends WorkerPoolError {
  static override readonly code = 'ERR_REDIS_REFUSED';
  static {
    brand(this, this.code);
  }
  constructor(message: string, options?: ErrorOptions) {
    super(message, undefined, options);
  }
  static override is(value: unknown): value is RedisRefusedError {
    return hasBrand(value, 'ERR_REDIS_REFUSED');
  }
}
