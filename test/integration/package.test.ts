import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
});
