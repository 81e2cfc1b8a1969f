import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Real `redis-server` processes for tests that need their own Redis: to kill
 * it, restart it, secure it or cluster it. Each listens on a free loopback
 * port, keeps its files in a temporary folder, and is stopped by PID.
 */
export interface RedisServer {
  readonly port: number;
  readonly url: string;
  readonly dir: string;
  readonly pid: number;
  /** SIGKILL the server (no chance to save), keeping its folder for a restart. */
  kill(): Promise<void>;
  /** Stop the server (SIGTERM, then SIGKILL) and remove its folder. */
  stop(): Promise<void>;
  /** Start the server again on the same port, with the same arguments and folder. */
  restart(): Promise<void>;
}

export function hasRedisServer(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
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

/** Resolve once something on `port` answers PING with PONG (any password error also proves it is up). */
export async function waitForRedis(
  port: number,
  { timeout = 10_000, tls = false } = {},
): Promise<void> {
  const deadline = Date.now() + timeout;
  for (;;) {
    if (tls ? await portOpen(port) : await pings(port)) return;
    if (Date.now() > deadline)
      throw new Error(`redis-server on port ${port} did not start within ${timeout} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

function pings(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    let answer = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.on('error', () => done(false));
    socket.on('data', (chunk) => {
      answer += chunk.toString();
      // +PONG, or -NOAUTH when a password is set, or -LOADING: all mean the process is up.
      if (answer.includes('\r\n')) done(answer.startsWith('+PONG') || answer.startsWith('-NOAUTH'));
    });
    socket.on('connect', () => socket.write('PING\r\n'));
  });
}

function waitForExit(child: ChildProcess, timeout: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeout);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

export interface StartOptions {
  /** Extra `redis-server` arguments, e.g. `['--appendonly', 'yes']`. */
  args?: string[];
  port?: number;
  /** Wait for TCP only (a TLS-only server cannot be pinged in plain text). */
  tls?: boolean;
}

export async function startRedisServer({
  args = [],
  port,
  tls = false,
}: StartOptions = {}): Promise<RedisServer> {
  const listenPort = port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'rwp-redis-'));
  const fullArgs = [
    '--port',
    tls ? '0' : String(listenPort),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    'no',
    ...(tls ? ['--tls-port', String(listenPort)] : []),
    ...args,
  ];
  let child: ChildProcess;
  const launch = async () => {
    child = spawn('redis-server', fullArgs, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code) =>
        reject(new Error(`redis-server exited with ${code}: ${stderr}`)),
      ),
    );
    exited.catch(() => {});
    await Promise.race([waitForRedis(listenPort, { tls }), exited]);
  };
  await launch();
  const server: RedisServer = {
    port: listenPort,
    url: `${tls ? 'rediss' : 'redis'}://127.0.0.1:${listenPort}`,
    dir,
    get pid() {
      return child.pid ?? -1;
    },
    async kill() {
      child.kill('SIGKILL');
      await waitForExit(child, 5000);
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        if (!(await waitForExit(child, 5000))) {
          child.kill('SIGKILL');
          await waitForExit(child, 5000);
        }
      }
      rmSync(dir, { recursive: true, force: true });
    },
    async restart() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await waitForExit(child, 10_000);
      }
      await launch();
    },
  };
  return server;
}
