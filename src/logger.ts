/**
 * Logging: every call is a message and, optionally, fields.
 *
 * The library calls `logger.info(message, fields)`: message first, then a
 * plain object of fields (`{ queue, jobId, name, attempt, workerId, durationMs }`).
 * That is the order of winston (`logger.info(message, meta)`), of `console`,
 * and of this library's earlier string-only `Logger`, so those pass straight
 * in and an existing `{ info(message: string) }` logger keeps compiling.
 * pino and bunyan take `(fields, message)`: wrap them with `pinoLogger()`.
 * Guessing the order from the logger at run time would be reflection, and a
 * wrong guess would print `[object Object]`; one order and a five-line
 * adapter is easier to trust.
 */
import { escapeControl } from './terminal-text.js';
export { formatDuration } from './duration.js';

/**
 * The fields of a log call. All optional: each call passes what it knows.
 * Values are plain data (strings, numbers, booleans), except `err`.
 */
export interface LogFields {
  /**
   * The part of the library speaking, e.g. `'Worker Pool'`, `'Stats'`, `'Queue'`.
   * The default formatter shows it as a `[Worker Pool]` prefix.
   */
  scope?: string;
  /** The queue's name. */
  queue?: string;
  /** The job's id. */
  jobId?: string;
  /** The job's name (which handler runs it). */
  name?: string;
  /** The attempt's number, from 1. */
  attempt?: number;
  /** The job's attempts in all. */
  maxAttempts?: number;
  /** The worker slot, from 1 to `concurrency`. The default formatter shows it as `[Worker-N]`. */
  workerId?: number;
  /** How long the attempt (or the operation) took, in ms. */
  durationMs?: number;
  /** A delay that starts now (a retry's backoff, a rate limit's hold), in ms. */
  delayMs?: number;
  /** The batch the job belongs to. */
  batchId?: string;
  /** The error, under the key pino's and bunyan's error serialiser expect. */
  err?: Error;
  /** Anything else a call adds (e.g. the numbers of a stats line). */
  [field: string]: unknown;
}

/** One level of a `Logger`. */
export type LogMethod = (message: string, fields?: LogFields) => void;

/**
 * Anything with `info`, `warn` and `error` methods taking a message and
 * optional fields: `console`, winston, a test spy, or pino through
 * `pinoLogger()`. `debug` is optional.
 */
export interface Logger {
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  debug?(message: string, fields?: LogFields): void;
}

/**
 * The default formatter: the plain line of the original deployment, built from
 * a message and its fields. `workerId` gives the `[Worker-N] ` prefix, else
 * `scope` gives `[scope] `; other fields are left out. The line is escaped:
 * see `escapeControl()` in terminal-text.ts.
 *
 * ```
 * formatLogLine('Processing job: ID=7, Name=page (Attempt 1/4)', { workerId: 1, jobId: '7' })
 * // '[Worker-1] Processing job: ID=7, Name=page (Attempt 1/4)'
 * ```
 */
export function formatLogLine(message: string, fields?: LogFields): string {
  const workerId = fields?.workerId;
  const scope = fields?.scope;
  const prefix =
    typeof workerId === 'number'
      ? `[Worker-${workerId}] `
      : typeof scope === 'string' && scope !== ''
        ? `[${scope}] `
        : '';
  return escapeControl(`${prefix}${String(message)}`);
}

/** The default logger: the original deployment's plain lines on stdout/stderr. */
export const consoleLogger: Logger = Object.freeze({
  // eslint-disable-next-line no-console
  info: (message: string, fields?: LogFields) => console.log(formatLogLine(message, fields)),
  // eslint-disable-next-line no-console
  warn: (message: string, fields?: LogFields) => console.warn(formatLogLine(message, fields)),
  // eslint-disable-next-line no-console
  error: (message: string, fields?: LogFields) => console.error(formatLogLine(message, fields)),
});

const noop = (): void => {};

/** `logger: false` silences the library. */
export const silentLogger: Logger = Object.freeze({
  info: noop,
  warn: noop,
  error: noop,
  debug: noop,
});

/** Wrap a user's logger so a throwing logger cannot break a worker. */
export function safeLogger(logger: Logger): Logger {
  const wrap = (method: keyof Logger) => (message: string, fields?: LogFields) => {
    try {
      // Without fields, the call is the one-argument call a string logger has always had.
      if (fields === undefined) logger[method]?.(message);
      else logger[method]?.(message, fields);
    } catch {
      // A broken logger must not take a job down with it.
    }
  };
  return { info: wrap('info'), warn: wrap('warn'), error: wrap('error'), debug: wrap('debug') };
}

/** The methods of a pino (or bunyan) logger that `pinoLogger()` calls: fields first, then the message. */
export interface PinoLikeLogger {
  info(fields: object, message?: string): void;
  warn(fields: object, message?: string): void;
  error(fields: object, message?: string): void;
  debug?(fields: object, message?: string): void;
}

/**
 * A `Logger` over a pino (or bunyan) logger, whose methods take the fields
 * first: `logger.info(fields, message)`. Each field becomes a property of the
 * JSON line; the message is pino's `msg`; an error is under `err`, where
 * pino's error serialiser looks.
 *
 * ```ts
 * import pino from 'pino';
 * new WorkerPool('pages', handlers, { connection, logger: pinoLogger(pino()) });
 * ```
 */
export function pinoLogger(logger: PinoLikeLogger): Logger {
  return {
    info: (message, fields) => logger.info({ ...fields }, message),
    warn: (message, fields) => logger.warn({ ...fields }, message),
    error: (message, fields) => logger.error({ ...fields }, message),
    debug: (message, fields) => logger.debug?.({ ...fields }, message),
  };
}
