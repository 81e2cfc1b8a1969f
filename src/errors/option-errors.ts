/**
 * The two errors of a bad option (or environment variable). They extend
 * `TypeError` and `RangeError`, as a wrong type and a bad range do in the
 * platform, so they are not `WorkerPoolError`s; they carry the brand all the same.
 */
import { brand, brandedInstanceOf, hasBrand } from './brand.js';

/** An option (or environment variable) has the wrong type. */
export class OptionTypeError extends TypeError {
  static readonly code = 'ERR_INVALID_OPTION';
  static {
    brand(this, this.code);
  }
  readonly code = 'ERR_INVALID_OPTION';
  /** The option's name, e.g. `concurrency` or `CONCURRENT_WORKERS`. */
  readonly option: string;
  constructor(message: string, option: string) {
    super(message);
    this.name = 'OptionTypeError';
    this.option = option;
  }
  static is(value: unknown): value is OptionTypeError {
    return hasBrand(value, 'ERR_INVALID_OPTION');
  }
  static override [Symbol.hasInstance](value: unknown): boolean {
    return brandedInstanceOf(this, value);
  }
}

/** An option (or environment variable) has the right type but a value out of range. */
export class OptionRangeError extends RangeError {
  static readonly code = 'ERR_OPTION_OUT_OF_RANGE';
  static {
    brand(this, this.code);
  }
  readonly code = 'ERR_OPTION_OUT_OF_RANGE';
  readonly option: string;
  constructor(message: string, option: string) {
    super(message);
    this.name = 'OptionRangeError';
    this.option = option;
  }
  static is(value: unknown): value is OptionRangeError {
    return hasBrand(value, 'ERR_OPTION_OUT_OF_RANGE');
  }
  static override [Symbol.hasInstance](value: unknown): boolean {
    return brandedInstanceOf(this, value);
  }
}
