// This library in a benchmark child, on the built package (see driver.mjs).
import { Queue, WorkerPool } from '../../../dist/index.js';
import { run } from './driver.mjs';

await run({
  async producer(config) {
    const queue = new Queue(config.queue, {
      connection: config.url,
      prefix: config.prefix,
      logger: false,
      defaultJobOptions: { removeOnComplete: true, attempts: 1 },
    });
    await queue.getCounts(); // connected
    return {
      addBulk: (datas) => queue.addBulk(datas.map((data) => ({ name: 'page', data }))),
      add: (data) => queue.add('page', data),
      close: () => queue.close(),
    };
  },

  async consumer(config, handler, events) {
    const pool = new WorkerPool(config.queue, (job) => handler(job.data), {
      connection: config.url,
      prefix: config.prefix,
      concurrency: config.concurrency,
      attempts: 1,
      logger: false,
      statsInterval: 0,
    });
    pool.on('completed', events.completed);
    pool.on('failed', ({ error }) => events.failed(error));
    pool.on('error', events.failed);
    await pool.start();
    return { close: () => pool.close() };
  },
});
