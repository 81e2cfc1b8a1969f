/**
 * `worker-pool dashboard`, run as a user would: where it listens, when it
 * refuses to start, the token it then requires, and a clean stop.
 */
import { describe, expect, it } from 'vitest';
import { runCli, startCli } from '../support/cli.js';
import { redisUrl, uniquePrefix } from '../support/redis.js';

const URL_LINE = /\[Dashboard\] (http:\/\/[^ ]+\/) /;

describe('worker-pool dashboard', () => {
  it('serves the dashboard on 127.0.0.1 and stops on SIGTERM', async () => {
    const cli = startCli(
      ['dashboard', '--port', '0', '--queue', 'pages,emails', '--prefix', uniquePrefix('cli')],
      { env: { REDIS_URL: redisUrl() } },
    );
    try {
      const [, url] = await cli.waitForOutput(URL_LINE);
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      expect(cli.stdout()).toContain('queues: pages, emails');
      // Where Redis is, never its URL.
      expect(cli.stdout()).not.toContain('redis://');
      const config = await fetch(new URL('api/config', url!));
      expect(await config.json()).toMatchObject({ queues: ['pages', 'emails'], readOnly: false });
    } finally {
      const result = await cli.stop('SIGTERM');
      expect(result.code).toBe(0);
      expect(result.stderr).toBe('');
    }
  });

  it('refuses to listen beyond this machine without DASHBOARD_TOKEN', async () => {
    const { code, stderr } = await runCli(['dashboard', '--host', '0.0.0.0', '--port', '0'], {
      env: { REDIS_URL: redisUrl() },
    });
    expect(code).toBe(2);
    expect(stderr).toContain('Refusing to serve the dashboard on 0.0.0.0 without an access token');
    expect(stderr).toContain('DASHBOARD_TOKEN');
  });

  it('with DASHBOARD_TOKEN, listens where told and requires the token', async () => {
    const token = 'a-long-enough-secret-token';
    const cli = startCli(
      [
        'dashboard',
        '--host',
        '0.0.0.0',
        '--port',
        '0',
        '--read-only',
        '--prefix',
        uniquePrefix('cli'),
      ],
      { env: { REDIS_URL: redisUrl(), DASHBOARD_TOKEN: token } },
    );
    try {
      const [, url] = await cli.waitForOutput(URL_LINE);
      expect(cli.stdout()).toContain('read-only; token required');
      expect(cli.stdout()).not.toContain(token);
      const local = url!.replace('0.0.0.0', '127.0.0.1');
      expect((await fetch(new URL('api/config', local))).status).toBe(401);
      const config = await fetch(new URL('api/config', local), {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(await config.json()).toMatchObject({ readOnly: true, actions: [] });
    } finally {
      expect((await cli.stop('SIGINT')).code).toBe(0);
    }
  });

  it('says what is wrong with a short token, without showing it', async () => {
    const { code, stderr } = await runCli(['dashboard', '--port', '0'], {
      env: { REDIS_URL: redisUrl(), DASHBOARD_TOKEN: 'short-secret' },
    });
    expect(code).toBe(2);
    expect(stderr).toContain('Bad DASHBOARD_TOKEN');
    expect(stderr).toContain('at least 16 characters');
    expect(stderr).not.toContain('short-secret');
  });

  it('is listed in --help, with its own help', async () => {
    const help = await runCli(['--help']);
    expect(help.stdout).toMatch(/^ {2}dashboard /m);
    const own = await runCli(['dashboard', '--help']);
    expect(own.code).toBe(0);
    expect(own.stdout).toMatch(/^Usage: worker-pool dashboard/);
    expect(own.stdout).toContain('--read-only');
  });
});
