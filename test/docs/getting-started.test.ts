import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisUrl, uniquePrefix } from '../support/redis.js';
import { packPackage } from '../support/pack.js';

/**
 * docs/getting-started.md, followed as a new user would, in an empty folder:
 * its commands run as written (the two `npm install` lines excepted: no network
 * here, so the packed tarball of this package is installed from the npm cache
 * and the dev tools are linked from this repository), its files written as
 * shown, compiled with the tsconfig `tsc --init` generates, and the pool and
 * the producer run against the tests' Redis.
 */
const root = join(import.meta.dirname, '..', '..');
const page = readFileSync(join(root, 'docs', 'getting-started.md'), 'utf8');

function blocks(lang: string): string[] {
  return [...page.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]!);
}

/** Every `sh` line of the page, in order, without comments. */
const commands = blocks('sh').flatMap((block) =>
  block
    .split('\n')
    .map((line) => line.replace(/\s+#.*$/, '').trim())
    .filter(Boolean),
);

/** The `ts` blocks that are files: their first line names them (`// src/handlers.ts`). */
const files = blocks('ts')
  .map((block) => ({ path: /^\/\/ (src\/[\w-]+\.ts)\n/.exec(block)?.[1], text: block }))
  .filter((f): f is { path: string; text: string } => f.path !== undefined);

describe('docs/getting-started.md, followed from an empty folder', () => {
  let dir: string;
  let api: Server;
  let apiUrl: string;
  const prefix = uniquePrefix('getting-started');

  const env = () => ({
    PATH: `${join(dir, 'node_modules', '.bin')}:${process.env.PATH}`,
    HOME: process.env.HOME,
    npm_config_cache: process.env.npm_config_cache,
    REDIS_URL: redisUrl(),
    PAGE_API_URL: apiUrl,
    // No 500 ms rest between jobs (the CLI's default), to keep the test short.
    PROCESSING_DELAY: '0',
  });
  /** Run a command without blocking this process (which serves the page API). */
  const run = (command: string, timeout: number) =>
    new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn('sh', ['-c', command], { cwd: dir, env: env() });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), timeout);
      child.on('exit', (status) => {
        clearTimeout(timer);
        resolve({ status, stdout, stderr });
      });
    });
  const sh = (command: string) =>
    execFileSync('sh', ['-c', command], { cwd: dir, env: env(), encoding: 'utf8', stdio: 'pipe' });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rwp-getting-started-'));
    api = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        const { title } = JSON.parse(body) as { title: string };
        response.end(`A page about ${title}.`);
      });
    });
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
    apiUrl = `http://127.0.0.1:${(api.address() as { port: number }).port}/generate`;
  });

  afterAll(async () => {
    await new Promise((resolve) => api?.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  it('has the setup commands, the files and the run commands a new user needs', () => {
    expect(commands.slice(0, 5)).toEqual([
      'npm init -y',
      'npm pkg set type=module',
      'npm install redis-worker-pool',
      'npm install -D typescript tsx @types/node',
      'npx tsc --init --rootDir src --outDir dist --types node',
    ]);
    expect(files.map((f) => f.path)).toEqual([
      'src/handlers.ts',
      'src/producer.ts',
      'src/worker.ts',
    ]);
    expect(commands).toContain('npx tsc');
    expect(commands).toContain('npx worker-pool run --handler ./dist/handlers.js');
    expect(commands).toContain('npx tsx src/producer.ts');
  });

  it('type-checks with the generated tsconfig, and runs the pool and the producer', async () => {
    for (const command of commands.slice(0, 5)) {
      if (command === 'npm install redis-worker-pool') {
        const tarball = packPackage(dir);
        sh(`npm install --silent --no-audit --no-fund --prefer-offline ./${tarball}`);
      } else if (command.startsWith('npm install -D')) {
        for (const name of ['typescript', 'tsx', '@types/node']) {
          const target = join(dir, 'node_modules', name);
          mkdirSync(dirname(target), { recursive: true });
          symlinkSync(join(root, 'node_modules', name), target, 'dir');
        }
        const bin = join(dir, 'node_modules', '.bin');
        mkdirSync(bin, { recursive: true });
        symlinkSync(join(root, 'node_modules', 'typescript', 'bin', 'tsc'), join(bin, 'tsc'));
        symlinkSync(join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(bin, 'tsx'));
      } else {
        sh(command);
      }
    }
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
      type?: string;
    };
    expect(manifest.type).toBe('module');
    const tsconfig = readFileSync(join(dir, 'tsconfig.json'), 'utf8');
    expect(tsconfig).toContain('"exactOptionalPropertyTypes": true');

    mkdirSync(join(dir, 'src'));
    for (const file of files) writeFileSync(join(dir, file.path), file.text);
    // Everything type-checks and compiles with the generated tsconfig (tsc exits non-zero otherwise).
    const compiled = spawnSync('sh', ['-c', 'npx tsc'], { cwd: dir, env: env(), encoding: 'utf8' });
    expect(compiled.stdout + compiled.stderr).toBe('');
    expect(compiled.status).toBe(0);

    const pool = spawn(
      'sh',
      ['-c', `exec npx worker-pool run --handler ./dist/handlers.js --prefix ${prefix}`],
      { cwd: dir, env: env(), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let poolOutput = '';
    pool.stdout.on('data', (chunk: Buffer) => (poolOutput += chunk.toString()));
    pool.stderr.on('data', (chunk: Buffer) => (poolOutput += chunk.toString()));
    try {
      const deadline = Date.now() + 30_000;
      while (!poolOutput.includes('Press Ctrl+C to stop.')) {
        if (Date.now() > deadline || pool.exitCode !== null)
          throw new Error(`the pool did not start:\n${poolOutput}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      // The producer as written, on this test's prefix (the page uses the default one).
      writeFileSync(
        join(dir, 'src', 'producer.ts'),
        files
          .find((f) => f.path === 'src/producer.ts')!
          .text.replace(
            "new Queue<Jobs>('pages')",
            `new Queue<Jobs>('pages', { prefix: '${prefix}' })`,
          ),
      );
      // Not spawnSync: the model API above answers from this process's event loop.
      const produced = await run('npx tsx src/producer.ts', 60_000);
      expect(produced.stderr, poolOutput).toBe('');
      expect(produced.status).toBe(0);
      const lines = produced.stdout.trim().split('\n');
      expect(lines[0]).toBe('A page about Bees.');
      expect(lines.slice(-3)).toEqual([
        'A page about Bees.',
        'A page about Hives.',
        'A page about Honey.',
      ]);
      // Progress lines in between, however the pages happened to finish: the last is 3/3.
      const progress = lines.slice(1, -3);
      for (const line of progress) expect(line).toMatch(/^[0-3]\/3$/);
      expect(progress.at(-1)).toBe('3/3');
    } finally {
      pool.kill('SIGTERM');
      await new Promise((resolve) => pool.once('exit', resolve));
    }
  }, 240_000);
});
