import type { FlagSpecs, ParsedArgs } from './args.js';
import type { Io } from './io.js';

/** One `worker-pool <name>` command: what `--help` shows, and what it does. */
export interface Command {
  readonly name: string;
  /** One line, for the list of commands. */
  readonly summary: string;
  /** `worker-pool jobs <state> [options]` */
  readonly usage: string;
  /** Paragraphs after the usage line. */
  readonly description: string;
  readonly flags: FlagSpecs;
  /** Whether the command takes arguments besides flags (job ids, a state). */
  readonly positionals?: boolean;
  readonly examples: readonly string[];
  /** Resolve with the exit code; throw a `CliError` to fail with a message. */
  run(args: ParsedArgs, io: Io): Promise<number>;
}

/** The default queue name: the original deployment's "pages queue". */
export const DEFAULT_QUEUE = 'pages';

/** Flags of every command that talks to a queue. */
export const QUEUE_FLAGS: FlagSpecs = {
  queue: {
    type: 'string',
    short: 'q',
    value: '<name>',
    description: 'The queue to work on.',
    default: DEFAULT_QUEUE,
  },
  prefix: {
    type: 'string',
    value: '<prefix>',
    description: 'Key prefix of the queue in Redis (the `prefix` option of Queue and WorkerPool).',
    default: 'rwp',
  },
  'redis-url': {
    type: 'string',
    value: '<url>',
    description:
      'Redis to use, redis:// or rediss:// (TLS). Overrides REDIS_URL and REDIS_PUBLIC_URL; default redis://127.0.0.1:6379. Never printed.',
  },
};

export const HELP_FLAG: FlagSpecs = {
  help: { type: 'boolean', short: 'h', description: 'Show this help.' },
};

export const JSON_FLAG: FlagSpecs = {
  json: { type: 'boolean', description: 'Print JSON instead of text, for scripts.' },
};
