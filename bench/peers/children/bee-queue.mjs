// Bee-Queue in a benchmark child (see driver.mjs).
//
// Settings: completed jobs removed (`removeOnSuccess`), one attempt (no `retries`, the
// default); job events are published (`sendEvents`, the default, as the other systems
// publish theirs) but no process subscribes to them (`getEvents: false`): as with the
// others, the user listens to the worker's own completion event.
import Queue from 'bee-queue';
import { hostPort, run } from './driver.mjs';

await run({
  async producer(config) {
    const queue = new Queue(config.queue, {
      redis: hostPort(config.url),
      prefix: config.prefix,
      isWorker: false,
      getEvents: false,
      storeJobs: false,
      removeOnSuccess: true,
    });
    await queue.ready();
    return {
      async addBulk(datas) {
        const errors = await queue.saveAll(datas.map((data) => queue.createJob(data)));
        if (errors.size > 0) throw [...errors.values()][0];
      },
      add: (data) => queue.createJob(data).save(),
      close: () => queue.close(),
    };
  },

  async consumer(config, handler, events) {
    const queue = new Queue(config.queue, {
      redis: hostPort(config.url),
      prefix: config.prefix,
      isWorker: true,
      getEvents: false,
      storeJobs: false,
      removeOnSuccess: true,
    });
    queue.on('succeeded', events.completed);
    queue.on('failed', (_job, error) => events.failed(error));
    queue.on('error', events.failed);
    await queue.ready();
    queue.process(config.concurrency, (job) => handler(job.data));
    return { close: () => queue.close() };
  },
});
