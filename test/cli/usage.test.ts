import { createServer, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { fixture, runCli } from '../support/cli.js';
import { redisUrl, uniquePrefix } from '../support/redis.js';

const COMMANDS = ['run', 'status', 'jobs', 'retry', 'remove', 'pause', 'resume'];

describe('worker-pool --help', () => {
  it('lists every command, where Redis comes from and the exit codes', async () => {
    const { code, stdout, stderr } = await runCli(['--help']);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    for (const command of COMMANDS) expect(stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
    expect(stdout).toContain('REDIS_URL');
    expect(stdout).toContain('CONCURRENT_WORKERS');
    expect(stdout).toMatch(/Exit codes: 0 .*; 1 .*\n2 /);
  });

  it.each(COMMANDS)(
    '`%s --help` shows usage, options and examples, and exits 0',
    async (command) => {
      const { code, stdout } = await runCli([command, '--help']);
      expect(code).toBe(0);
      expect(stdout).toMatch(new RegExp(`^Usage: worker-pool ${command}`));
      expect(stdout).toContain('Options:');
      expect(stdout).toContain('--redis-url <url>');
      expect(stdout).toMatch(/Examples:\n {2}worker-pool /);
    },
  );

  it('`help <command>` is the same as `<command> --help`', async () => {
    const [a, b] = await Promise.all([runCli(['help', 'jobs']), runCli(['jobs', '--help'])]);
    expect(a.code).toBe(0);
    expect(a.stdout).toBe(b.stdout);
  });

  it('prints the version with --version', async () => {
    const { code, stdout } = await runCli(['--version']);
    expect(code).toBe(0);
    expect(stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('prints the help to stderr and exits 2 when no command is given', async () => {
    const { code, stdout, stderr } = await runCli([]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain('Usage: worker-pool <command>');
  });
});

describe('bad command lines exit with 2 and say what is wrong', () => {
  it('an unknown command, with the nearest one suggested', async () => {
    const { code, stderr } = await runCli(['stats']);
    expect(code).toBe(2);
    expect(stderr).toContain('Unknown command `stats`; did you mean `status`?');
    expect(stderr).toContain('worker-pool --help');
  });

  it('an unknown flag, with the nearest one suggested', async () => {
    const { code, stderr } = await runCli(['status', '--queu', 'pages']);
    expect(code).toBe(2);
    expect(stderr).toContain('Unknown flag --queu for `worker-pool status`; did you mean --queue?');
    expect(stderr).toContain('worker-pool status --help');
  });

  it('a flag without its value, and a value given to a boolean flag', async () => {
    const missing = await runCli(['jobs', 'failed', '--limit']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--limit needs a value <n>');
    const extra = await runCli(['status', '--json=yes']);
    expect(extra.code).toBe(2);
    expect(extra.stderr).toContain('--json takes no value');
  });

  it('a number flag that is not an integer in range', async () => {
    const { code, stderr } = await runCli(['jobs', 'failed', '--limit', 'ten']);
    expect(code).toBe(2);
    expect(stderr).toContain('Expected `--limit` to be an integer from 1 to 10000, got `ten`');
    const zero = await runCli(['jobs', 'failed', '--limit', '0']);
    expect(zero.code).toBe(2);
  });

  it('an unknown job state, with the nearest one suggested', async () => {
    const { code, stderr } = await runCli(['jobs', 'faild']);
    expect(code).toBe(2);
    expect(stderr).toContain('Unknown state `faild`; did you mean `failed`?');
    const none = await runCli(['jobs']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain(
      'Which state? One of waiting, delayed, active, completed, failed',
    );
  });

  it('retry and remove without ids; retry with both ids and --all-failed', async () => {
    expect((await runCli(['retry'])).stderr).toContain('Give job ids, or --all-failed');
    expect((await runCli(['remove'])).code).toBe(2);
    const both = await runCli(['retry', '7', '--all-failed']);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('not both');
  });

  it('a command that takes no argument, given one', async () => {
    const { code, stderr } = await runCli(['status', 'pages']);
    expect(code).toBe(2);
    expect(stderr).toContain('`worker-pool status` takes no argument (got `pages`)');
  });

  it('run without --handler', async () => {
    const { code, stderr } = await runCli(['run']);
    expect(code).toBe(2);
    expect(stderr).toContain('Pass --handler <path>');
  });

  it('a queue name the library refuses, reported under its flag', async () => {
    const { code, stderr } = await runCli(['status', '--queue', 'a{b}', '--redis-url', redisUrl()]);
    expect(code).toBe(2);
    expect(stderr).toContain('Bad --queue: Expected `name` to be a queue name without braces');
  });

  it('a pool option out of range, reported under its flag', async () => {
    const { code, stderr } = await runCli([
      'run',
      '--handler',
      fixture('handlers.mjs'),
      '--concurrency',
      '0',
      '--redis-url',
      redisUrl(),
    ]);
    expect(code).toBe(2);
    expect(stderr).toContain('Bad --concurrency: Expected `concurrency` to be an integer from 1');
  });

  it('--max-workers with --concurrency, or out of range', async () => {
    const base = ['run', '--handler', fixture('handlers.mjs'), '--redis-url', redisUrl()];
    const both = await runCli([...base, '--concurrency', '3', '--max-workers', '8']);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain(
      'Pass either --concurrency (a fixed number of workers) or --max-workers (adaptive), not both',
    );
    const zero = await runCli([...base, '--max-workers', '0']);
    expect(zero.code).toBe(2);
    expect(zero.stderr).toContain('Expected `--max-workers` to be an integer from 1 to 10000');
  });

  it('a bad --max-rate-limit-hold, reported under its flag', async () => {
    const { code, stderr } = await runCli([
      'run',
      '--handler',
      fixture('handlers.mjs'),
      '--max-rate-limit-hold',
      '0',
      '--redis-url',
      redisUrl(),
    ]);
    expect(code).toBe(2);
    expect(stderr).toContain(
      'Bad --max-rate-limit-hold: Expected `maxRateLimitHold` to be an integer from 1',
    );
  });

  it('a bad --rate-limit', async () => {
    const { code, stderr } = await runCli([
      'run',
      '--handler',
      fixture('handlers.mjs'),
      '--rate-limit',
      '50 per minute',
    ]);
    expect(code).toBe(2);
    expect(stderr).toContain('Expected `--rate-limit` to be <max>/<duration>');
  });

  it('a bad environment variable, named in the message', async () => {
    const { code, stderr } = await runCli(['run', '--handler', fixture('handlers.mjs')], {
      env: { CONCURRENT_WORKERS: 'five', REDIS_URL: redisUrl() },
    });
    expect(code).toBe(2);
    expect(stderr).toContain(
      'Bad environment variable: Expected `CONCURRENT_WORKERS` to be an integer from 1 to 10000, got `five` (string)',
    );
  });

  it('never prints a password or the full Redis URL, even for a bad URL', async () => {
    const badFlag = await runCli(['status', '--redis-url', 'http://admin:hunter2@example.com/']);
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toContain('Expected `--redis-url` to be a redis:// or rediss:// URL');
    const badEnv = await runCli(['status'], { env: { REDIS_URL: 'admin:hunter2@example.com' } });
    expect(badEnv.code).toBe(2);
    expect(badEnv.stderr).toContain('Bad environment variable: Expected `REDIS_URL`');
    for (const { stdout, stderr } of [badFlag, badEnv]) {
      expect(stdout + stderr).not.toContain('hunter2');
      expect(stdout + stderr).not.toContain('example.com');
    }
  });
});

describe('unreachable Redis', () => {
  it.each([
    ['status', []],
    ['jobs', ['failed']],
    ['retry', ['--all-failed']],
    ['pause', []],
  ])(
    '`%s` exits 1 at once, naming host:port and why, never the password',
    async (command, rest) => {
      const started = Date.now();
      const { code, stdout, stderr } = await runCli([
        command,
        ...rest,
        '--redis-url',
        'redis://admin:hunter2@127.0.0.1:1',
        '--prefix',
        uniquePrefix('cli-down'),
      ]);
      expect(code).toBe(1);
      expect(stderr).toContain('worker-pool: Could not connect to Redis at 127.0.0.1:1: ');
      expect(stderr).toContain('ECONNREFUSED');
      expect(stderr).toContain('redis-cli -h 127.0.0.1 -p 1 ping');
      expect(stdout + stderr).not.toContain('hunter2');
      expect(Date.now() - started).toBeLessThan(20_000);
    },
  );
});

describe('a Redis port that accepts connections and never answers', () => {
  it.each([
    ['status', []],
    ['jobs', ['failed']],
    ['retry', ['--all-failed']],
  ])(
    '`%s` gives up after the documented 5 seconds, naming host:port and why',
    async (command, rest) => {
      const sockets = new Set<Socket>();
      // Accepts the TCP connection (so connectTimeout alone ends nothing) and reads without replying.
      const server = createServer((socket) => {
        sockets.add(socket);
        socket.resume();
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as { port: number };
      try {
        const started = Date.now();
        const { code, stderr } = await runCli(
          [command, ...rest, '--redis-url', `redis://127.0.0.1:${port}`],
          { timeout: 30_000 },
        );
        const took = Date.now() - started;
        expect(code).toBe(1);
        expect(stderr).toContain(
          `worker-pool: Could not connect to Redis at 127.0.0.1:${port}: no answer within 5 s`,
        );
        expect(stderr).toContain(`redis-cli -h 127.0.0.1 -p ${port} ping`);
        expect(took).toBeGreaterThanOrEqual(4500);
        // A behaviour bound, not a speed test: it took 17.6 s when the handshake had no deadline.
        expect(took).toBeLessThan(7500);
      } finally {
        for (const socket of sockets) socket.destroy();
        await new Promise((resolve) => server.close(resolve));
      }
    },
    40_000,
  );
});
