// BullMQ in a benchmark child (see driver.mjs), with its default ioredis driver.
import { Queue, Worker } from 'bullmq';
import { hostPort, run } from './driver.mjs';

await run({
  async producer(config) {
    const queue = new Queue(config.queue, {
      connection: hostPort(config.url),
      prefix: config.prefix,
      defaultJobOptions: { removeOnComplete: true, attempts: 1 },
    });
    await queue.waitUntilReady();
    return {
      addBulk: (datas) => queue.addBulk(datas.map((data) => ({ name: 'page', data }))),
      add: (data) => queue.add('page', data),
      close: () => queue.close(),
    };
  },

  async consumer(config, handler, events) {
    const worker = new Worker(config.queue, (job) => handler(job.data), {
      // A worker's blocking connection wants no per-request retry limit.
      connection: { ...hostPort(config.url), maxRetriesPerRequest: null },
      prefix: config.prefix,
      concurrency: config.concurrency,
    });
    worker.on('completed', events.completed);
    worker.on('failed', (_job, error) => events.failed(error));
    worker.on('error', events.failed);
    await worker.waitUntilReady();
    return { close: () => worker.close() };
  },
});
