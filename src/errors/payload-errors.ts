/** A job's data or a handler's result that cannot be stored. */
import { brand, hasBrand } from './brand.js';
import { WorkerPoolError } from './worker-pool-error.js';

/** A job's data or a handler's result cannot be stored as JSON. */
export class SerializationError extends WorkerPoolError {
  static override readonly code = 'ERR_NOT_SERIALIZABLE';
  static {
    brand(this, this.code);
  }
  /** Where in the value the problem is, e.g. `data.items[2].at`. */
  readonly path: string;
  constructor(message: string, path: string) {
    super(message);
    this.path = path;
  }
  static override is(value: unknown): value is SerializationError {
    return hasBrand(value, 'ERR_NOT_SERIALIZABLE');
  }
}

/** A job's data, once serialised, is larger than the queue's `maxPayloadSize`. */
export class PayloadTooLargeError extends WorkerPoolError {
  static override readonly code = 'ERR_PAYLOAD_TOO_LARGE';
  static {
    brand(this, this.code);
  }
  readonly size: number;
  readonly limit: number;
  constructor(what: string, size: number, limit: number) {
    super(
      `${what} is ${size} bytes once serialised, over the limit of ${limit} bytes (\`maxPayloadSize\`)`,
    );
    this.size = size;
    this.limit = limit;
  }
  static override is(value: unknown): value is PayloadTooLargeError {
    return hasBrand(value, 'ERR_PAYLOAD_TOO_LARGE');
  }
}
