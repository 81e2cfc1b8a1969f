import { InvalidJobStateError, JobNotFoundError } from 'redis-worker-pool';
import { helpHint } from '../args.js';
import { EXIT_FAILURE, EXIT_OK, UsageError } from '../cli-error.js';
import { HELP_FLAG, QUEUE_FLAGS, type Command } from '../command.js';
import { withQueue } from '../open-queue.js';

const flags = { ...QUEUE_FLAGS, ...HELP_FLAG };

export const removeCommand: Command = {
  name: 'remove',
  summary: 'Remove jobs that are not running, with their results.',
  usage: 'worker-pool remove <id>... [options]',
  description:
    'Remove jobs (and their results) from the queue: waiting, delayed, completed or failed ones.\n' +
    'A running job cannot be removed: wait for it to finish, or pause the queue first. A removed\n' +
    'batch job counts as failed in its batch, so the batch still finishes. Exits with 1 if any id\n' +
    'was not found or was running.',
  flags,
  positionals: true,
  examples: ['worker-pool remove 17', 'worker-pool remove 17 18 --queue pages'],
  run: async (args, io) => {
    if (args.positionals.length === 0)
      throw new UsageError('Which jobs? Give one or more job ids', helpHint('remove'));
    return withQueue(args, io, async ({ queue }) => {
      let code = EXIT_OK;
      for (const id of args.positionals) {
        try {
          await queue.removeJob(id);
          io.out(`Removed job ${id}.`);
        } catch (error) {
          if (!(error instanceof JobNotFoundError || error instanceof InvalidJobStateError))
            throw error;
          io.err(`worker-pool: ${error.message}`);
          code = EXIT_FAILURE;
        }
      }
      return code;
    });
  },
};
