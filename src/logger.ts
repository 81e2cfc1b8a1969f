/**
 * Anything with `info`, `warn` and `error` methods taking a string: `console`,
 * pino, winston, a test spy. `debug` is optional.
 */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  debug?(message: string): void;
}

/** The default logger: the original deployment's plain lines on stdout/stderr. */
export const consoleLogger: Logger = Object.freeze({
  // eslint-disable-next-line no-console
  info: (message: string) => console.log(message),
  // eslint-disable-next-line no-console
  warn: (message: string) => console.warn(message),
  // eslint-disable-next-line no-console
  error: (message: string) => console.error(message),
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
  const wrap = (method: keyof Logger) => (message: string) => {
    try {
      logger[method]?.(message);
    } catch {
      // A broken logger must not take a job down with it.
    }
  };
  return { info: wrap('info'), warn: wrap('warn'), error: wrap('error'), debug: wrap('debug') };
}

/** `5.2s`, `850ms`: durations the way the logs show them. */
export function formatDuration(ms: number): string {
  // Round first, then pick the unit, so 999.6 ms reads `1.0s`, not `1000ms`, and 119.6 s `2m0s`, not `1m60s`.
  if (Math.round(ms) < 1000) return `${Math.round(ms)}ms`;
  const tenths = Math.round(ms / 100);
  if (tenths < 600) return `${(tenths / 10).toFixed(1)}s`;
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)}m${seconds % 60}s`;
}
