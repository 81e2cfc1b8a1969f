import { BatchNotFoundError, InvalidJobStateError, JobNotFoundError } from 'redis-worker-pool';
import { helpHint, stringFlag } from '../args.js';
import { EXIT_FAILURE, EXIT_OK, UsageError } from '../cli-error.js';
import { HELP_FLAG, QUEUE_FLAGS, type Command } from '../command.js';
import { plural } from '../format.js';
import { withQueue } from '../open-queue.js';

const flags = {
  batch: {
    type: 'string',
    description: 'Cancel every unfinished job of this batch (instead of ids).',
  },
  reason: {
    type: 'string',
    description: "Why, stored in each job's error.",
  },
  ...QUEUE_FLAGS,
  ...HELP_FLAG,
} as const;

export const cancelCommand: Command = {
  name: 'cancel',
  summary: 'Cancel jobs, or a batch: they end failed, running ones are aborted.',
  usage: 'worker-pool cancel <id>... [options]\n       worker-pool cancel --batch <id> [options]',
  description:
    'Cancel jobs from any machine: a waiting or delayed job ends `failed` with a\n' +
    "JobCancelledError at once; a running one too, and its handler's signal is aborted in\n" +
    'whichever pool runs it. A cancelled job is never retried. Exits with 1 if any id was not\n' +
    'found or had already finished.',
  flags,
  positionals: true,
  examples: [
    'worker-pool cancel 17',
    "worker-pool cancel 17 18 --reason 'user left'",
    'worker-pool cancel --batch ebook-42 --queue pages',
  ],
  run: async (args, io) => {
    const batch = stringFlag(args, 'batch');
    const reason = stringFlag(args, 'reason');
    const options = reason === undefined ? {} : { reason };
    if (batch !== undefined && args.positionals.length > 0)
      throw new UsageError('Give job ids or --batch, not both', helpHint('cancel'));
    if (batch === undefined && args.positionals.length === 0)
      throw new UsageError('Which jobs? Give job ids, or --batch <id>', helpHint('cancel'));
    return withQueue(args, io, async ({ queue }) => {
      if (batch !== undefined) {
        try {
          const cancelled = await queue.cancelBatch(batch, options);
          io.out(`Cancelled ${plural(cancelled, 'unfinished job')} of batch ${batch}.`);
          return EXIT_OK;
        } catch (error) {
          if (!(error instanceof BatchNotFoundError)) throw error;
          io.err(`worker-pool: ${error.message}`);
          return EXIT_FAILURE;
        }
      }
      let code = EXIT_OK;
      for (const id of args.positionals) {
        try {
          await queue.cancel(id, options);
          io.out(`Cancelled job ${id}.`);
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
