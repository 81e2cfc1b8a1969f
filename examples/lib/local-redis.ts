import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Find a Redis for the examples: `REDIS_URL` (or `REDIS_PUBLIC_URL`) when set;
 * else a Redis answering on 127.0.0.1:6379; else a temporary `redis-server`
 * started here (stopped by `stop()`); else an error that says how to get one.
 * `allowTemporary: false` skips the temporary server, for processes that must
 * share one Redis with others (a producer, separate workers).
 */
export async function findRedis({
  allowTemporary = true,
}: { allowTemporary?: boolean } = {}): Promise<{
  url: string;
  description: string;
  /** A server started here, gone after `stop()`. */
  temporary: boolean;
  stop: () => Promise<void>;
}> {
  const fromEnv = process.env.REDIS_URL ?? process.env.REDIS_PUBLIC_URL;
  if (fromEnv)
    return { url: fromEnv, description: 'REDIS_URL', temporary: false, stop: async () => {} };
  if (await answersPing(6379)) {
    return {
      url: 'redis://127.0.0.1:6379',
      description: 'the Redis on 127.0.0.1:6379',
      temporary: false,
      stop: async () => {},
    };
  }
  if (
    allowTemporary &&
    spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0
  ) {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'rwp-example-'));
    const child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--dir', dir],
      {
        stdio: 'ignore',
      },
    );
    for (let i = 0; i < 200 && !(await answersPing(port)); i++)
      await new Promise((r) => setTimeout(r, 25));
    return {
      url: `redis://127.0.0.1:${port}`,
      description: `a temporary redis-server on port ${port}`,
      temporary: true,
      stop: async () => {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  if (!allowTemporary) {
    throw new Error(
      'No shared Redis found: set REDIS_URL=redis://host:port or start Redis on 127.0.0.1:6379, so that ' +
        'the producer, the workers and the assembler all use the same one.',
    );
  }
  throw new Error(
    'No Redis found. Set REDIS_URL=redis://host:port, start Redis on 127.0.0.1:6379, or install redis-server ' +
      '(Debian/Ubuntu: sudo apt-get install redis-server; macOS: brew install redis).',
  );
}

function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.setTimeout(500, () => (socket.destroy(), resolve(false)));
    socket.on('error', () => resolve(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (data) => {
      socket.destroy();
      resolve(data.toString().startsWith('+PONG'));
    });
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}
