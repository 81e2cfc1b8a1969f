import { booleanFlag, integerFlag } from '../args.js';
import { EXIT_OK } from '../cli-error.js';
import { HELP_FLAG, JSON_FLAG, QUEUE_FLAGS, type Command } from '../command.js';
import { openQueue } from '../open-queue.js';
import { readStatus, renderStatus } from '../status-view.js';
import { watch } from '../watch.js';

const flags = {
  watch: {
    type: 'boolean',
    short: 'w',
    description:
      'Refresh until Ctrl+C: in place on a terminal, one snapshot after another otherwise.',
  },
  interval: {
    type: 'string',
    value: '<ms>',
    description: 'Milliseconds between refreshes with --watch (200-3600000).',
    default: '2000',
  },
  'active-limit': {
    type: 'string',
    value: '<n>',
    description: 'Show at most this many active jobs (0-1000).',
    default: '10',
  },
  ...JSON_FLAG,
  ...QUEUE_FLAGS,
  ...HELP_FLAG,
} as const;

export const statusCommand: Command = {
  name: 'status',
  summary: 'Jobs per state, active jobs and their age, the last minute, pools connected.',
  usage: 'worker-pool status [options]',
  description:
    'Show the queue at a glance: how many jobs are in each state, the jobs completed and failed\n' +
    'over the last minute (queue-wide, from every pool), the pools working on the queue (from\n' +
    'their heartbeats, every 5 s) and the running jobs, oldest lease first, with their age (time\n' +
    'since the job was added) and when their lease ends unless renewed. Counts of completed and\n' +
    'failed jobs are those still kept by their retention. With --json, prints one JSON object\n' +
    '(with --watch, one per line).',
  flags,
  examples: [
    'worker-pool status',
    'worker-pool status --watch --queue pages',
    'worker-pool status --json | jq .counts',
  ],
  run: async (args, io) => {
    const json = booleanFlag(args, 'json');
    const interval = integerFlag(args, 'interval', { min: 200, max: 3_600_000 }) ?? 2000;
    const activeLimit = integerFlag(args, 'active-limit', { min: 0, max: 1000 }) ?? 10;
    const watching = booleanFlag(args, 'watch');
    const open = await openQueue(args, io, { reconnect: watching });
    try {
      const read = async () => {
        // getJobs() wants a limit >= 1; with 0, read one and show none.
        const status = await readStatus(open, Math.max(1, activeLimit));
        const shown = { ...status, active: status.active.slice(0, activeLimit) };
        if (json) return [JSON.stringify(shown, null, watching ? undefined : 2)];
        return renderStatus(shown, io.stdout.isTTY ? io.stdout.columns : undefined);
      };
      if (!watching) {
        io.out((await read()).join('\n'));
        return EXIT_OK;
      }
      await watch(
        io,
        interval,
        json
          ? () => read().catch((error: Error) => [JSON.stringify({ error: error.message })])
          : read,
        { separate: !json },
      );
      return EXIT_OK;
    } finally {
      await open.close();
    }
  },
};
