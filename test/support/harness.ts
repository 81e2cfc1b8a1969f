import { afterEach } from 'vitest';
import {
  Queue,
  WorkerPool,
  type DefaultJobMap,
  type JobHandlers,
  type JobMap,
  type QueueOptions,
  type WorkerPoolOptions,
} from '../../src/index.js';
import { redisUrl, uniquePrefix } from './redis.js';

/**
 * Queues and pools for one test, on the shared Redis under a fresh prefix,
 * closed after the test whatever its outcome.
 */
export function useHarness(label: string) {
  const open: { close(): Promise<unknown> }[] = [];
  let prefix = uniquePrefix(label);

  afterEach(async () => {
    await Promise.all(
      open
        .splice(0)
        .map((o) =>
          (o as { close(options?: unknown): Promise<unknown> })
            .close({ force: true })
            .catch(() => {}),
        ),
    );
    prefix = uniquePrefix(label);
  });

  return {
    get prefix() {
      return prefix;
    },
    queue<J extends JobMap<J> = DefaultJobMap>(name = 'q', options: QueueOptions = {}): Queue<J> {
      const queue = new Queue<J>(name, {
        connection: redisUrl(),
        prefix,
        logger: false,
        ...options,
      });
      open.push(queue);
      return queue;
    },
    pool<J extends JobMap<J> = DefaultJobMap>(
      handlers: JobHandlers<J>,
      options: WorkerPoolOptions<J> = {},
      name = 'q',
    ): WorkerPool<J> {
      const pool = new WorkerPool<J>(name, handlers, {
        connection: redisUrl(),
        prefix,
        logger: false,
        statsInterval: 0,
        ...options,
      });
      open.push(pool);
      return pool;
    },
    /** Also close this at the end of the test. */
    track<T extends { close(): Promise<unknown> }>(thing: T): T {
      open.push(thing);
      return thing;
    },
  };
}
