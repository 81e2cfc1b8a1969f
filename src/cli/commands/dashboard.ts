import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createDashboard } from 'redis-worker-pool/dashboard';
import { booleanFlag, integerFlag, stringFlag } from '../args.js';
import { CliError, EXIT_OK, UsageError } from '../cli-error.js';
import { DEFAULT_QUEUE, HELP_FLAG, QUEUE_FLAGS, type Command } from '../command.js';
import { optionError } from '../option-errors.js';
import { createRedisClient, redisTarget } from '../redis-target.js';

const flags = {
  port: {
    type: 'string',
    short: 'p',
    value: '<port>',
    description: 'Port to serve the dashboard on (0: any free port).',
    default: '9465',
  },
  host: {
    type: 'string',
    value: '<address>',
    description:
      'Address to listen on. Anything but this machine (127.0.0.1, ::1, localhost) needs DASHBOARD_TOKEN.',
    default: '127.0.0.1',
  },
  'read-only': {
    type: 'boolean',
    description: 'Show everything, change nothing: no retry, remove, pause or resume.',
  },
  'base-path': {
    type: 'string',
    value: '<path>',
    description:
      'Serve under this path, e.g. /queues behind a reverse proxy that keeps the prefix.',
  },
  ...QUEUE_FLAGS,
  queue: {
    ...QUEUE_FLAGS.queue!,
    value: '<names>',
    description: 'The queue to show; several separated by commas (pages,emails).',
  },
  ...HELP_FLAG,
} as const;

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

export const dashboardCommand: Command = {
  name: 'dashboard',
  summary: 'Serve the web dashboard: counts, throughput, pools, jobs, batches, actions.',
  usage: 'worker-pool dashboard [options]',
  description:
    'Serve the queue dashboard over HTTP until Ctrl+C: each queue’s jobs per state (live), the\n' +
    'throughput of the last 15 minutes, the pools connected, jobs by state with their data,\n' +
    'result and error, batches, and buttons to retry or remove a job and pause or resume the\n' +
    'queue (not with --read-only). It listens on 127.0.0.1; to listen anywhere else, set\n' +
    'DASHBOARD_TOKEN to a secret of 16 characters or more: every request must then carry it,\n' +
    'as `Authorization: Bearer <token>` or through the sign-in form.',
  flags,
  examples: [
    'worker-pool dashboard',
    'worker-pool dashboard --queue pages,emails --read-only',
    'DASHBOARD_TOKEN=$(openssl rand -hex 24) worker-pool dashboard --host 0.0.0.0 --port 8080',
  ],
  run: async (args, io) => {
    const port = integerFlag(args, 'port', { min: 0, max: 65_535 }) ?? 9465;
    const host = stringFlag(args, 'host') ?? '127.0.0.1';
    const token = io.env.DASHBOARD_TOKEN === '' ? undefined : io.env.DASHBOARD_TOKEN;
    if (!LOOPBACK.has(host) && token === undefined) {
      throw new UsageError(
        `Refusing to serve the dashboard on ${host} without an access token: anyone who reaches it could retry, remove and pause jobs`,
        'Set DASHBOARD_TOKEN to a long random secret (openssl rand -hex 24), or keep the default --host 127.0.0.1.',
      );
    }
    const queues = (stringFlag(args, 'queue') ?? DEFAULT_QUEUE)
      .split(',')
      .map((name) => name.trim())
      .filter(Boolean);
    const target = redisTarget(stringFlag(args, 'redis-url'), io.env);
    const pending = createRedisClient(target, { reconnect: true });
    let dashboard: ReturnType<typeof createDashboard>;
    try {
      dashboard = createDashboard({
        connection: pending.client,
        prefix: stringFlag(args, 'prefix') ?? 'rwp',
        queues,
        readOnly: booleanFlag(args, 'read-only'),
        ...(token === undefined ? {} : { token }),
        ...(stringFlag(args, 'base-path') === undefined
          ? {}
          : { basePath: stringFlag(args, 'base-path') }),
        logger: { info: io.out, warn: io.err, error: io.err },
      });
    } catch (error) {
      pending.client.disconnect();
      if ((error as { option?: string }).option === 'token') {
        throw new UsageError(`Bad DASHBOARD_TOKEN: ${(error as Error).message}`);
      }
      throw optionError(error);
    }
    const server = createServer(dashboard);
    try {
      await pending.connect();
      await new Promise<void>((resolve, reject) => {
        server.once('error', (error: Error & { code?: string }) =>
          reject(
            new CliError(`Could not serve the dashboard on ${host}:${port}: ${error.message}`, {
              hint:
                error.code === 'EADDRINUSE'
                  ? 'Another process listens on that port: choose another with --port.'
                  : undefined,
            }),
          ),
        );
        server.listen(port, host, () => resolve());
      });
      const address = server.address() as AddressInfo;
      const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      io.out(
        `[Dashboard] http://${shown}:${address.port}${stringFlag(args, 'base-path')?.replace(/\/+$/, '') ?? ''}/ (queues: ${queues.join(', ')}; Redis at ${target.label}${booleanFlag(args, 'read-only') ? '; read-only' : ''}${token ? '; token required' : ''}). Ctrl+C to stop.`,
      );
      await new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
      io.out('[Dashboard] Stopping.');
      return EXIT_OK;
    } finally {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await dashboard.close();
      await pending.client.quit().catch(() => pending.client.disconnect());
    }
  },
};
