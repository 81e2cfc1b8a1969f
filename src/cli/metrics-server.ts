import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CliError } from './cli-error.js';

/** What `/healthz` reports: healthy or not, and why, per check. */
export interface Health {
  readonly ok: boolean;
  readonly checks: Readonly<Record<string, string>>;
}

export interface MetricsServerOptions {
  readonly port: number;
  readonly host: string;
  /** The text of `/metrics` and its content type (prom-client's registry). */
  readonly metrics: () => Promise<{ body: string; contentType: string }>;
  readonly health: () => Promise<Health>;
}

export interface MetricsServer {
  /** The port listened on (the one chosen by the system for port 0). */
  readonly port: number;
  close(): Promise<void>;
}

/**
 * A small HTTP server for Prometheus and for orchestrators: `GET /metrics`
 * (the registry's text) and `GET /healthz` (200 when healthy, 503 when not,
 * with a JSON body saying which check failed). Resolves once listening;
 * rejects with a `CliError` when the port is taken.
 */
export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/metrics') {
      options.metrics().then(
        ({ body, contentType }) =>
          response.writeHead(200, { 'content-type': contentType }).end(body),
        (error: Error) =>
          response
            .writeHead(500, { 'content-type': 'text/plain' })
            .end(`Collecting metrics failed: ${error.message}\n`),
      );
      return;
    }
    if (path === '/healthz') {
      options.health().then(
        (health) =>
          response
            .writeHead(health.ok ? 200 : 503, { 'content-type': 'application/json' })
            .end(
              `${JSON.stringify({ status: health.ok ? 'ok' : 'unavailable', ...health.checks })}\n`,
            ),
        (error: Error) =>
          response
            .writeHead(503, { 'content-type': 'application/json' })
            .end(`${JSON.stringify({ status: 'unavailable', error: error.message })}\n`),
      );
      return;
    }
    response
      .writeHead(404, { 'content-type': 'text/plain' })
      .end('Not found: try /metrics or /healthz\n');
  });
  // A scraper holding a keep-alive connection must not keep the process up after close().
  server.keepAliveTimeout = 5000;
  await listen(server, options.port, options.host);
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (error: Error & { code?: string }) =>
      reject(
        new CliError(`Could not serve metrics on ${host}:${port}: ${error.message}`, {
          hint:
            error.code === 'EADDRINUSE'
              ? 'Another process listens on that port: choose another with --metrics-port.'
              : undefined,
        }),
      ),
    );
    server.listen(port, host, () => resolve());
  });
}
