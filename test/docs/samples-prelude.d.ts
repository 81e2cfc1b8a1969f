/**
 * What the code samples of the docs take as given, declared once for all of
 * them (see samples.test.ts). A sample that declares one of these names
 * itself uses its own: each sample is a module, so its names shadow these.
 */
import type { AddedJob, JobHandlers, Logger, Queue, WorkerPool } from 'redis-worker-pool';

declare global {
  /** The job map most samples use: pages of an ebook. */
  type Jobs = {
    page: { data: { title: string; index: number }; result: { text: string } };
  };
  const connection: string;
  const queue: Queue<Jobs>;
  const pool: WorkerPool<Jobs>;
  const handlers: JobHandlers<Jobs>;
  const job: AddedJob<Jobs['page']['data'], 'page'>;
  const id: string;
  const data: Jobs['page']['data'];
  const titles: string[];
  const url: string;
  const response: Response;
  const cause: unknown;
  function generatePage(
    data: Jobs['page']['data'],
    options: { signal: AbortSignal },
  ): Promise<string>;
  function save(page: { text: string }): void;
  /** Any metrics client with gauges (StatsD, Datadog...). */
  const metrics: { gauge(name: string, value: number): void };
  /** A pino logger, as a sample of a `Logger`. */
  function pino(): Logger;
}
