import type { JobState } from 'redis-worker-pool';
import { booleanFlag, closest, helpHint, integerFlag, stringFlag } from '../args.js';
import { EXIT_OK, UsageError } from '../cli-error.js';
import { HELP_FLAG, JSON_FLAG, QUEUE_FLAGS, type Command } from '../command.js';
import { plural } from '../format.js';
import { jobTable } from '../job-table.js';
import { redisNow, withQueue } from '../open-queue.js';

const STATES: readonly JobState[] = ['waiting', 'delayed', 'active', 'completed', 'failed'];

const flags = {
  limit: {
    type: 'string',
    short: 'n',
    value: '<n>',
    description: 'Show at most this many jobs (1-10000).',
    default: '20',
  },
  start: {
    type: 'string',
    value: '<n>',
    description: 'Skip this many jobs first, to page through a long list.',
    default: '0',
  },
  group: {
    type: 'string',
    short: 'g',
    value: '<name>',
    description:
      'Only the jobs of this group (waiting: its own line; otherwise among the last 10000).',
  },
  ...JSON_FLAG,
  ...QUEUE_FLAGS,
  ...HELP_FLAG,
} as const;

export const jobsCommand: Command = {
  name: 'jobs',
  summary: 'List the jobs in one state: failed, delayed, active, waiting or completed.',
  usage: 'worker-pool jobs <failed|delayed|active|waiting|completed> [options]',
  description:
    'List jobs in one state, in the order that state keeps them: waiting and delayed in the\n' +
    'order they will run, active oldest lease first, completed and failed most recent first.\n' +
    'Failed jobs show their last error; delayed ones when they are due (a retry waiting out its\n' +
    'backoff shows the error that caused it). AGE and the other times are on the Redis clock.\n' +
    'Finished jobs are only kept as long as their retention allows (by default the last 1000\n' +
    'completed for 24 h and the last 10000 failed for 7 days). With --json, the full record of\n' +
    'each job (data, result, error with its stack) is printed as an array.',
  flags,
  positionals: true,
  examples: [
    'worker-pool jobs failed',
    'worker-pool jobs active --queue pages',
    'worker-pool jobs completed --limit 5 --json',
    'worker-pool jobs failed --start 20 --limit 20',
    'worker-pool jobs waiting --group user-42',
  ],
  run: async (args, io) => {
    const [state, ...extra] = args.positionals;
    if (state === undefined)
      throw new UsageError(`Which state? One of ${STATES.join(', ')}`, helpHint('jobs'));
    if (!STATES.includes(state as JobState)) {
      const guess = closest(state, STATES);
      throw new UsageError(
        `Unknown state \`${state}\`${guess ? `; did you mean \`${guess}\`?` : ''} States: ${STATES.join(', ')}`,
        helpHint('jobs'),
      );
    }
    if (extra.length > 0)
      throw new UsageError(`Unexpected argument \`${extra[0]}\``, helpHint('jobs'));
    const limit = integerFlag(args, 'limit', { min: 1, max: 10_000 }) ?? 20;
    const start = integerFlag(args, 'start', { min: 0 }) ?? 0;
    const group = stringFlag(args, 'group');
    return withQueue(args, io, async ({ queue, client, name }) => {
      const s = state as JobState;
      const [jobs, counts, now] = await Promise.all([
        queue.getJobs(s, { start, limit, ...(group === undefined ? {} : { group }) }),
        group === undefined ? queue.getCounts() : queue.getGroupCounts(group),
        redisNow(client),
      ]);
      if (booleanFlag(args, 'json')) {
        io.out(JSON.stringify(jobs, null, 2));
        return EXIT_OK;
      }
      const total = counts[s];
      const where = group === undefined ? `queue ${name}` : `group ${group} of queue ${name}`;
      if (jobs.length === 0) {
        io.out(
          total === 0
            ? `No ${s} jobs in ${where}.`
            : `No ${s} jobs from position ${start} (${where} has ${total}).`,
        );
        return EXIT_OK;
      }
      const width = io.stdout.isTTY ? io.stdout.columns : undefined;
      for (const line of jobTable(s, jobs, now, width)) io.out(line);
      const shown = `${start + 1}-${start + jobs.length}`;
      const more = start + jobs.length < total;
      io.out(
        `\n${plural(total, `${s} job`)} in ${where}; showing ${shown}.` +
          (more ? ` Next: --start ${start + jobs.length}` : ''),
      );
      return EXIT_OK;
    });
  },
};
