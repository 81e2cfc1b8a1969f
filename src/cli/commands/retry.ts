import { InvalidJobStateError, JobNotFoundError, type Queue } from 'redis-worker-pool';
import { booleanFlag, helpHint } from '../args.js';
import { EXIT_FAILURE, EXIT_OK, UsageError } from '../cli-error.js';
import { HELP_FLAG, QUEUE_FLAGS, type Command } from '../command.js';
import { plural } from '../format.js';
import { withQueue } from '../open-queue.js';

const flags = {
  'all-failed': {
    type: 'boolean',
    description: 'Retry every job that is failed now (instead of ids).',
  },
  ...QUEUE_FLAGS,
  ...HELP_FLAG,
} as const;

/** getJobs() returns at most 10000 jobs a call. */
const PAGE = 1000;

export const retryCommand: Command = {
  name: 'retry',
  summary: 'Send failed jobs back to waiting, their attempts reset.',
  usage: 'worker-pool retry <id>... [options]\n       worker-pool retry --all-failed [options]',
  description:
    'Move failed jobs back to `waiting` with their attempts reset, so a pool runs them again.\n' +
    'Only failed jobs can be retried; a retried batch job reopens its batch. Find ids with\n' +
    '`worker-pool jobs failed`. Exits with 1 if any id was not found or was not failed.',
  flags,
  positionals: true,
  examples: [
    'worker-pool retry 17',
    'worker-pool retry 17 18 21',
    'worker-pool retry --all-failed --queue pages',
  ],
  run: async (args, io) => {
    const all = booleanFlag(args, 'all-failed');
    if (all && args.positionals.length > 0)
      throw new UsageError('Give job ids or --all-failed, not both', helpHint('retry'));
    if (!all && args.positionals.length === 0)
      throw new UsageError('Which jobs? Give job ids, or --all-failed', helpHint('retry'));
    return withQueue(args, io, async ({ queue, name }) => {
      if (!all) {
        let code = EXIT_OK;
        for (const id of args.positionals) {
          try {
            await queue.retryJob(id);
            io.out(`Job ${id} is back in waiting.`);
          } catch (error) {
            if (!(error instanceof JobNotFoundError || error instanceof InvalidJobStateError))
              throw error;
            io.err(`worker-pool: ${error.message}`);
            code = EXIT_FAILURE;
          }
        }
        return code;
      }
      const ids = await failedIds(queue);
      if (ids.length === 0) {
        io.out(`No failed jobs in queue ${name}.`);
        return EXIT_OK;
      }
      let retried = 0;
      let skipped = 0;
      for (const id of ids) {
        try {
          await queue.retryJob(id);
          io.out(`Job ${id} is back in waiting.`);
          retried++;
        } catch (error) {
          // Retried, removed or trimmed by retention since the list was read: nothing to do.
          if (!(error instanceof JobNotFoundError || error instanceof InvalidJobStateError))
            throw error;
          io.out(`Job ${id} left alone: it is no longer failed.`);
          skipped++;
        }
      }
      io.out(
        `Retried ${plural(retried, 'failed job')} of queue ${name}.` +
          (skipped > 0
            ? ` ${plural(skipped, 'job')} changed state meanwhile and were left alone.`
            : ''),
      );
      return EXIT_OK;
    });
  },
};

/**
 * The ids of every job failed now, read before any is retried: a job that is
 * retried and fails again while this runs is not retried a second time.
 */
async function failedIds(queue: Queue): Promise<string[]> {
  const ids: string[] = [];
  for (let start = 0; ; start += PAGE) {
    const jobs = await queue.getJobs('failed', { start, limit: PAGE });
    ids.push(...jobs.map((job) => job.id));
    if (jobs.length < PAGE) return ids;
  }
}
