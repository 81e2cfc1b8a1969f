import { brand, brandedInstanceOf, codeOf, hasBrand, type ErrorOptions } from './brand.js';

/** Base class of the errors raised by redis-worker-pool (all but the two option errors). */
export class WorkerPoolError extends Error {
  /** The code of this class's instances; each subclass has its own. */
  static readonly code: string = 'ERR_WORKER_POOL';
  static {
    brand(this, this.code);
  }

  /** A stable identifier, e.g. `ERR_JOB_TIMEOUT`. */
  readonly code: string;

  /**
   * `code` is for classes you derive yourself; left out, an instance takes the
   * code of its nearest class of this library.
   */
  constructor(message: string, code?: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code ?? codeOf(new.target);
  }

  /**
   * Is `value` an instance of this class, made by any copy of this package?
   * Same answer as `instanceof`; works unbound (`errors.filter(RateLimitError.is)`).
   */
  static is(value: unknown): value is WorkerPoolError {
    return hasBrand(value, 'ERR_WORKER_POOL');
  }

  /** `instanceof` that also recognises the errors of another copy of this package, by their brand. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return brandedInstanceOf(this, value);
  }
}

/** Is `value` a `WorkerPoolError` (or subclass) from any copy of this package? */
export function isWorkerPoolError(value: unknown): value is WorkerPoolError {
  return hasBrand(value, 'ERR_WORKER_POOL');
}
