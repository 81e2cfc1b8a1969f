import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packPackage } from '../support/pack.js';
import { redisUrl, uniquePrefix } from '../support/redis.js';

// A round trip through the installed package: add a job, run it in a pool, read the result.
const roundTrip = (load: string) => `
${load}
const { Queue, WorkerPool, UnrecoverableError } = pkg;
const [url, prefix] = process.argv.slice(2);
const queue = new Queue('q', { connection: url, prefix, logger: false });
const pool = new WorkerPool('q', { page: async (job) => 'hello ' + job.data.name }, { connection: url, prefix, logger: false, statsInterval: 0 });
await pool.start();
const job = await queue.add('page', { name: 'world' });
const result = await queue.waitForResult(job.id, { timeout: 10000 });
await pool.close();
await queue.close();
console.log(JSON.stringify({ result, errorName: new UnrecoverableError('x').name }));
`;

describe('the published package', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'rwp-pack-'));
    const tarball = packPackage(dir);
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
    execFileSync(
      'npm',
      ['install', '--silent', '--no-audit', '--no-fund', '--prefer-offline', join(dir, tarball)],
      {
        cwd: dir,
        stdio: 'inherit',
      },
    );
  }, 120_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('ships only dist/ with README and LICENSE, no sources or tests', () => {
    const installed = join(dir, 'node_modules', 'redis-worker-pool');
    const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as {
      files: string[];
    };
    expect(manifest.files).toEqual(['dist']);
    const listing = execFileSync('find', ['.', '-type', 'f'], { cwd: installed, encoding: 'utf8' });
    expect(listing).toContain('./dist/index.js');
    expect(listing).toContain('./dist/index.cjs');
    expect(listing).toContain('./dist/index.d.ts');
    expect(listing).toContain('./dist/index.d.cts');
    expect(listing).not.toMatch(/\.\/(src|test|examples|bench)\//);
  });

  it('works from import (ESM)', () => {
    writeFileSync(join(dir, 'esm.mjs'), roundTrip(`import * as pkg from 'redis-worker-pool';`));
    const out = execFileSync('node', ['esm.mjs', redisUrl(), uniquePrefix('esm')], {
      cwd: dir,
      encoding: 'utf8',
    });
    expect(JSON.parse(out)).toEqual({ result: 'hello world', errorName: 'UnrecoverableError' });
  }, 30_000);

  it("makes the ESM and CommonJS builds, two copies in one process, recognise each other's errors", () => {
    writeFileSync(
      join(dir, 'copies.mjs'),
      `import * as esm from 'redis-worker-pool';
import { createRequire } from 'node:module';
const cjs = createRequire(import.meta.url)('redis-worker-pool');
const theirs = new cjs.RateLimitError(5, 'slow down');
const ours = new esm.MissingHandlerError('page', []);
console.log(JSON.stringify({
  twoCopies: esm.RateLimitError !== cjs.RateLimitError,
  instanceOf: theirs instanceof esm.RateLimitError && theirs instanceof esm.WorkerPoolError,
  is: esm.RateLimitError.is(theirs) && esm.isWorkerPoolError(theirs),
  back: ours instanceof cjs.UnrecoverableError && cjs.MissingHandlerError.is(ours),
  wrongClass: theirs instanceof esm.JobTimeoutError || esm.UnrecoverableError.is(theirs),
  fields: [theirs.name, theirs.code, theirs.retryAfter, ours.code],
}));
`,
    );
    const out = execFileSync('node', ['copies.mjs'], { cwd: dir, encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual({
      twoCopies: true,
      instanceOf: true,
      is: true,
      back: true,
      wrongClass: false,
      fields: ['RateLimitError', 'ERR_RATE_LIMITED', 5, 'ERR_NO_HANDLER'],
    });
  }, 30_000);

  it('works from require() (CommonJS), with the ESM-only dependencies bundled', () => {
    writeFileSync(
      join(dir, 'cjs.cjs'),
      `(async () => {\n${roundTrip(`const pkg = require('redis-worker-pool');`)}\n})();`,
    );
    const out = execFileSync('node', ['cjs.cjs', redisUrl(), uniquePrefix('cjs')], {
      cwd: dir,
      encoding: 'utf8',
    });
    expect(JSON.parse(out)).toEqual({ result: 'hello world', errorName: 'UnrecoverableError' });
  }, 30_000);

  it('installs without @opentelemetry/api, its optional peer: the round trips above ran without it', () => {
    expect(existsSync(join(dir, 'node_modules', '@opentelemetry', 'api'))).toBe(false);
    for (const file of ['index.js', 'index.cjs']) {
      const built = readFileSync(
        join(dir, 'node_modules', 'redis-worker-pool', 'dist', file),
        'utf8',
      );
      // Loaded at run time if present, never bundled.
      expect(built).toContain('import("@opentelemetry/api")');
      expect(built).not.toContain('opentelemetry.js.api');
    }
  });

  // Last: it installs the peer into the consumer folder.
  it('traces from the ESM and the CommonJS build once @opentelemetry/api and an SDK are installed', () => {
    execFileSync(
      'npm',
      [
        'install',
        '--silent',
        '--no-audit',
        '--no-fund',
        '--prefer-offline',
        '@opentelemetry/api@~1.9.1',
        '@opentelemetry/sdk-trace-base@^2.12.1',
        '@opentelemetry/context-async-hooks@^2.12.1',
      ],
      { cwd: dir, stdio: 'inherit' },
    );
    const traced = (load: string) => `
${load}
const { Queue, WorkerPool } = pkg;
const { context, trace } = otel;
const exporter = new sdk.InMemorySpanExporter();
trace.setGlobalTracerProvider(new sdk.BasicTracerProvider({ spanProcessors: [new sdk.SimpleSpanProcessor(exporter)] }));
context.setGlobalContextManager(new hooks.AsyncLocalStorageContextManager().enable());
const [url, prefix] = process.argv.slice(2);
const queue = new Queue('q', { connection: url, prefix, logger: false });
const pool = new WorkerPool('q', { page: async () => trace.getActiveSpan()?.spanContext().traceId }, { connection: url, prefix, logger: false, statsInterval: 0 });
await pool.start();
const request = await trace.getTracer('t').startActiveSpan('request', async (span) => {
  const job = await queue.add('page', {});
  span.end();
  return { id: job.id, traceId: span.spanContext().traceId };
});
const seen = await queue.waitForResult(request.id, { timeout: 10000 });
await pool.close();
await queue.close();
const names = exporter.getFinishedSpans().map((s) => s.name).sort();
console.log(JSON.stringify({ sameTrace: seen === request.traceId, names }));
`;
    writeFileSync(
      join(dir, 'traced.mjs'),
      traced(`import * as pkg from 'redis-worker-pool';
import * as otel from '@opentelemetry/api';
import * as sdk from '@opentelemetry/sdk-trace-base';
import * as hooks from '@opentelemetry/context-async-hooks';`),
    );
    writeFileSync(
      join(dir, 'traced.cjs'),
      `(async () => {\n${traced(`const pkg = require('redis-worker-pool');
const otel = require('@opentelemetry/api');
const sdk = require('@opentelemetry/sdk-trace-base');
const hooks = require('@opentelemetry/context-async-hooks');`)}\n})();`,
    );
    for (const file of ['traced.mjs', 'traced.cjs']) {
      const out = execFileSync('node', [file, redisUrl(), uniquePrefix('otel')], {
        cwd: dir,
        encoding: 'utf8',
      });
      expect(JSON.parse(out), file).toEqual({ sameTrace: true, names: ['process q', 'request'] });
    }
  }, 120_000);
});
