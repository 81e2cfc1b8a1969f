import { stringFlag } from '../args.js';
import { EXIT_OK } from '../cli-error.js';
import { HELP_FLAG, QUEUE_FLAGS, type Command } from '../command.js';
import { withQueue } from '../open-queue.js';

const flags = {
  group: {
    type: 'string',
    short: 'g',
    value: '<name>',
    description: 'Only this group of jobs; the other groups go on.',
  },
  ...QUEUE_FLAGS,
  ...HELP_FLAG,
} as const;

export const pauseCommand: Command = {
  name: 'pause',
  summary: 'Stop every pool on the queue from claiming jobs; running jobs finish.',
  usage: 'worker-pool pause [options]',
  description:
    'Pause the queue for every pool, in every process and on every machine: pools stop claiming\n' +
    'jobs, running jobs finish and their results are stored. Producers can still add jobs. The\n' +
    'flag lives in Redis, so it holds across restarts of the pools. Undo with `worker-pool resume`.',
  flags,
  examples: [
    'worker-pool pause --queue pages',
    'worker-pool resume --queue pages',
    'worker-pool pause --group user-42',
  ],
  run: (args, io) =>
    withQueue(args, io, async ({ queue, name }) => {
      const group = stringFlag(args, 'group');
      if (group !== undefined) {
        const was = (await queue.getGroupCounts(group)).paused;
        await queue.pauseGroup(group);
        io.out(
          was
            ? `Group ${group} of queue ${name} was already paused.`
            : `Group ${group} of queue ${name} paused: no pool starts its jobs; running ones finish. Undo with \`worker-pool resume --group\`.`,
        );
        return EXIT_OK;
      }
      const was = await queue.isPaused();
      await queue.pause();
      io.out(
        was
          ? `Queue ${name} was already paused.`
          : `Queue ${name} paused: its pools stop claiming jobs; running jobs finish. Undo with \`worker-pool resume --queue ${name}\`.`,
      );
      return EXIT_OK;
    }),
};

export const resumeCommand: Command = {
  name: 'resume',
  summary: 'Let the pools of a paused queue claim jobs again.',
  usage: 'worker-pool resume [options]',
  description:
    "Undo `worker-pool pause`, and lift a rate-limit hold (a handler's RateLimitError): every\n" +
    'pool on the queue claims jobs again at once. (A pool paused\n' +
    'in code with `pool.pause()` stays paused: that flag belongs to its process.)',
  flags,
  examples: ['worker-pool resume --queue pages', 'worker-pool resume --group user-42'],
  run: (args, io) =>
    withQueue(args, io, async ({ queue, name }) => {
      const group = stringFlag(args, 'group');
      if (group !== undefined) {
        const was = (await queue.getGroupCounts(group)).paused;
        await queue.resumeGroup(group);
        io.out(
          was
            ? `Group ${group} of queue ${name} resumed.`
            : `Group ${group} of queue ${name} was not paused.`,
        );
        return EXIT_OK;
      }
      const [was, { rateLimitedUntil }] = await Promise.all([queue.isPaused(), queue.getCounts()]);
      await queue.resume();
      const hold = rateLimitedUntil === undefined ? '' : ' Its rate-limit hold is lifted.';
      io.out(was ? `Queue ${name} resumed.${hold}` : `Queue ${name} was not paused.${hold}`);
      return EXIT_OK;
    }),
};
