/**
 * The CLI and `redis-worker-pool/metrics` as a user gets them: from the packed
 * tarball installed in a project of its own, run through node_modules/.bin.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue } from '../../src/index.js';
import { redisUrl, uniquePrefix } from '../support/redis.js';
import { packPackage } from '../support/pack.js';

describe('the installed package', () => {
  let dir: string;
  const bin = () => join(dir, 'node_modules', '.bin', 'worker-pool');
  const npm = (...args: string[]) =>
    execFileSync('npm', [...args, '--silent', '--no-audit', '--no-fund', '--prefer-offline'], {
      cwd: dir,
      stdio: 'pipe',
    });

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'rwp-cli-pack-'));
    const tarball = packPackage(dir);
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({ name: 'ebook-workers', private: true, type: 'module' }),
    );
    npm('install', join(dir, tarball));
    writeFileSync(
      join(dir, 'handlers.js'),
      `import { UnrecoverableError } from 'redis-worker-pool';
export async function page(job) {
  if (!job.data.title) throw new UnrecoverableError('no title');
  return { text: '# ' + job.data.title };
}
`,
    );
  }, 180_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('installs `worker-pool` in node_modules/.bin, runnable on its own', () => {
    const out = execFileSync(bin(), ['--help'], { cwd: dir, encoding: 'utf8' });
    expect(out).toContain('Usage: worker-pool <command> [options]');
  });

  it('runs a pool on the handlers of the project, which share its copy of the library', async () => {
    const prefix = uniquePrefix('cli-installed');
    const queue = new Queue('pages', { connection: redisUrl(), prefix, logger: false });
    const child = spawn(bin(), ['run', '--handler', './handlers.js', '--prefix', prefix], {
      cwd: dir,
      env: { PATH: process.env.PATH, REDIS_URL: redisUrl(), PROCESSING_DELAY: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
    try {
      const good = await queue.add('page', { title: 'Bees' });
      const bad = await queue.add('page', {});
      expect(await queue.waitForResult(good.id, { timeout: 30_000 })).toEqual({ text: '# Bees' });
      // The handler's UnrecoverableError is the pool's own class: no retry.
      await expect(queue.waitForResult(bad.id, { timeout: 30_000 })).rejects.toThrow('no title');
      expect((await queue.getJob(bad.id))?.attempts).toBe(1);
    } finally {
      child.kill('SIGTERM');
      expect(await exited, output).toBe(0);
      await queue.close();
    }
    expect(output).toContain('[Worker Pool] Closed.');
  }, 60_000);

  it('without prom-client, --metrics-port says to install it (exit 1)', () => {
    let result: { status: number | null; stderr: string } = { status: 0, stderr: '' };
    try {
      execFileSync(bin(), ['run', '--handler', './handlers.js', '--metrics-port', '0'], {
        cwd: dir,
        env: { PATH: process.env.PATH, REDIS_URL: redisUrl() },
        stdio: 'pipe',
        encoding: 'utf8',
      });
    } catch (error) {
      result = error as { status: number | null; stderr: string };
    }
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('--metrics-port needs prom-client, which is not installed');
    expect(result.stderr).toContain('npm install prom-client');
  });

  it('with prom-client, redis-worker-pool/metrics loads from import and from require()', () => {
    npm('install', 'prom-client@^15');
    const esm = execFileSync(
      'node',
      [
        '--input-type=module',
        '-e',
        `import { WorkerPoolMetrics } from 'redis-worker-pool/metrics';
         const m = new WorkerPoolMetrics();
         console.log((await m.registry.metrics()).includes('worker_pool_jobs_completed_total'));`,
      ],
      { cwd: dir, encoding: 'utf8' },
    );
    expect(esm.trim()).toBe('true');
    const cjs = execFileSync(
      'node',
      [
        '--input-type=commonjs',
        '-e',
        `const { WorkerPoolMetrics } = require('redis-worker-pool/metrics');
         const { Registry } = require('prom-client');
         const m = new WorkerPoolMetrics({ registry: new Registry() });
         m.registry.metrics().then((t) => console.log(t.includes('worker_pool_job_run_seconds')));`,
      ],
      { cwd: dir, encoding: 'utf8' },
    );
    expect(cjs.trim()).toBe('true');
  }, 120_000);
});
