/**
 * What the code samples of the docs take as given, declared once for all of
 * them (see samples.test.ts). A sample that declares one of these names
 * itself uses its own: each sample is a module, so its names shadow these.
 *
 * This file is a script, not a module (it has no import), so that its names
 * are global and it can declare the module `pino`, which is not installed.
 */
/* eslint-disable @typescript-eslint/consistent-type-imports -- a script reaches the library's types through import() */

/** The job map most samples use: pages of an ebook. */
type Jobs = {
  page: { data: { title: string; index: number }; result: { text: string } };
};
declare const connection: string;
declare const queue: import('redis-worker-pool').Queue<Jobs>;
declare const pool: import('redis-worker-pool').WorkerPool<Jobs>;
declare const handlers: import('redis-worker-pool').JobHandlers<Jobs>;
declare const job: import('redis-worker-pool').AddedJob<Jobs['page']['data'], 'page'>;
declare const id: string;
declare const data: Jobs['page']['data'];
declare const titles: string[];
declare const url: string;
declare const response: Response;
declare const cause: unknown;
declare function generatePage(
  data: Jobs['page']['data'],
  options: { signal: AbortSignal },
): Promise<string>;
declare function save(page: { text: string }): void;
/** Any metrics client with gauges (StatsD, Datadog...). */
declare const metrics: { gauge(name: string, value: number): void };
/** A winston logger, reduced to what the samples use: the message first, then the fields. */
declare const winstonLogger: {
  info(message: string, meta?: object): void;
  warn(message: string, meta?: object): void;
  error(message: string, meta?: object): void;
  debug(message: string, meta?: object): void;
};

/**
 * pino's default export, with the signatures of its own typings (pino 9,
 * `LogFn`) for what the samples use, so the samples check that a real pino
 * logger fits `pinoLogger()`.
 */
declare module 'pino' {
  interface LogFn {
    <T extends object>(obj: T, msg?: string, ...args: unknown[]): void;
    (msg: string, ...args: unknown[]): void;
  }
  interface Logger {
    level: string;
    info: LogFn;
    warn: LogFn;
    error: LogFn;
    debug: LogFn;
    child(bindings: Record<string, unknown>): Logger;
  }
  export default function pino(options?: { level?: string }): Logger;
}
