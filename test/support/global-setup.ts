import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { hasRedisServer, startRedisServer, type RedisServer } from './redis-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The Redis every integration test shares, each under its own key prefix. */
    redisUrl: string;
  }
}

const root = join(import.meta.dirname, '..', '..');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** Every file tsup builds that a test loads: the library, its subpaths and the CLI. */
const BUILT = ['index.js', 'index.cjs', 'metrics.js', 'metrics.cjs', 'dashboard.js', 'cli.js'];

/**
 * Tests that run pools or the CLI in child processes load the built package
 * (dist/), as a user would. Build it when any entry is missing or older than
 * src/ or the build config, so a plain `npx vitest` never tests stale code.
 */
function ensureBuild(): void {
  const sources = Math.max(
    newestMtime(join(root, 'src')),
    statSync(join(root, 'tsup.config.ts')).mtimeMs,
  );
  const fresh = BUILT.every((file) => {
    const built = join(root, 'dist', file);
    return existsSync(built) && statSync(built).mtimeMs >= sources;
  });
  if (fresh) return;
  execFileSync('npx', ['tsup', '--silent'], { cwd: root, stdio: 'inherit' });
}

/**
 * Redis for the tests, in this order: `REDIS_URL` when set; else a
 * `redis-server` binary on a free port; else a testcontainers Redis where a
 * Docker engine runs; else a message saying how to get one.
 */
async function getRedis(): Promise<{ url: string; stop: () => Promise<void> }> {
  if (process.env.REDIS_URL) return { url: process.env.REDIS_URL, stop: async () => {} };
  if (hasRedisServer()) {
    const server: RedisServer = await startRedisServer();
    return { url: server.url, stop: () => server.stop() };
  }
  try {
    const { RedisContainer } = await import('@testcontainers/redis');
    const container = await new RedisContainer('redis:7-alpine').start();
    return { url: container.getConnectionUrl(), stop: async () => void (await container.stop()) };
  } catch (error) {
    throw new Error(
      'The tests need Redis, and found none: set REDIS_URL=redis://host:port, or install redis-server ' +
        '(Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis), or start a Docker engine ' +
        `for testcontainers. (testcontainers said: ${(error as Error).message.split('\n')[0]})`,
      { cause: error },
    );
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  ensureBuild();
  const redis = await getRedis();
  project.provide('redisUrl', redis.url);
  return redis.stop;
}
