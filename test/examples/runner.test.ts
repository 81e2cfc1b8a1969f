import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pageNumber, startMockOpenAI, type MockOpenAI } from '../support/mock-openai.js';
import { Queue } from 'redis-worker-pool';
import { DEFAULT_QUEUE, type EbookJobs } from '../../examples/ebook/ebook.js';
import { redisUrl, uniquePrefix, until } from '../support/redis.js';
import { runExample, type ExampleProcess } from '../support/run-example.js';

const RUNNER = 'examples/ebook/run.ts';

// Each test starts tsx child processes: slow to start on a loaded machine, hence 120 s each.
describe('the ebook runner (npm run ebook), offline, as a child process', () => {
  let out: string;
  let mock: MockOpenAI;
  let prefix: string;
  const started: ExampleProcess[] = [];
  // Offline, quick, and pointed at a mock API that must never be called.
  const env = () => ({
    REDIS_URL: redisUrl(),
    OPENAI_BASE_URL: mock.url,
    OFFLINE_LATENCY_MS: '100',
    CONCURRENT_WORKERS: '3',
    PROCESSING_DELAY: '0',
  });
  const run = (args: string[]) => {
    const p = runExample(RUNNER, [...args, '--prefix', prefix, '--out', out], env());
    started.push(p);
    return p;
  };

  beforeEach(async () => {
    out = await mkdtemp(join(tmpdir(), 'rwp-ebook-'));
    mock = await startMockOpenAI();
    prefix = uniquePrefix('ebook-runner');
  });
  afterEach(async () => {
    await Promise.all(started.splice(0).map((p) => p.terminate()));
    await mock.close();
    await rm(out, { recursive: true, force: true });
  });

  async function readEbook(): Promise<{ markdown: string; html: string }> {
    const files = await readdir(out);
    const md = files.filter((f) => f.endsWith('.md'));
    const html = files.filter((f) => f.endsWith('.html'));
    expect(md).toHaveLength(1);
    expect(html).toHaveLength(1);
    return {
      markdown: await readFile(join(out, md[0]!), 'utf8'),
      html: await readFile(join(out, html[0]!), 'utf8'),
    };
  }

  function expectPagesInOrder(text: string, pattern: (n: number) => string, pages: number) {
    let at = -1;
    for (let n = 1; n <= pages; n++) {
      const next = text.indexOf(pattern(n), at + 1);
      expect(next, `page ${n} after page ${n - 1}`).toBeGreaterThan(at);
      at = next;
    }
  }

  it('writes a full ebook offline, pages in order, as Markdown and self-contained HTML, with no network', async () => {
    const runner = run(['--topic', 'Honey bees', '--pages', '8']);
    expect(await runner.exited).toBe(0);
    const output = runner.output();
    expect(output.split('\n')[0]).toMatch(/^!!! OFFLINE MODE: OPENAI_API_KEY is not set/);
    // 8 pages, and the ebook's assembly (the batch's `then` job).
    expect(output).toMatch(/\[Stats\] .*Processed: 9 \| Success: 9 \| Failed: 0/);

    const { markdown, html } = await readEbook();
    expect(markdown).toMatch(/^# Honey bees: A Short Guide\n/);
    expect(markdown).toContain('OFFLINE MODE');
    expectPagesInOrder(markdown, (n) => `## ${n}. `, 8);
    expectPagesInOrder(markdown, (n) => `Placeholder page ${n} of 8`, 8);

    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).toContain('class="offline"');
    expectPagesInOrder(html, (n) => `<section id="page-${n}">`, 8);
    // Self-contained: no script, stylesheet, image or anything else fetched from elsewhere.
    expect(html).not.toMatch(/<script|<link|<img|<iframe|\bsrc=/i);
    // Offline means offline: the model API was never called.
    expect(mock.requests).toHaveLength(0);
  }, 120_000);

  it('splits the work: --produce-only adds the ebook, --worker processes write it, --assemble collects it', async () => {
    const producer = run(['--produce-only', '--topic', 'Sourdough bread', '--pages', '6']);
    expect(await producer.exited).toBe(0);
    const id = producer.output().trim().split('\n').at(-1)!;
    expect(id).toMatch(/^\d+-[0-9a-f]+$/);

    const assembler = run(['--assemble', id]);
    const workers = [run(['--worker']), run(['--worker'])];
    expect(await assembler.exited).toBe(0);
    expect(assembler.output()).toMatch(/6 of 6 pages/);
    const { markdown } = await readEbook();
    expect(markdown).toContain('# Sourdough bread: A Short Guide');
    expectPagesInOrder(markdown, (n) => `Placeholder page ${n} of 6`, 6);

    // A worker stops gracefully on SIGTERM, with exit code 0 and its stats.
    for (const worker of workers) {
      await worker.waitForOutput(/Worker running/);
      expect(await worker.terminate()).toBe(0);
      expect(worker.output()).toMatch(/\[Stats\] /);
      expect(worker.output()).toContain('[Worker Pool] Closed.');
    }
    // The last [Stats] line of each worker is the one it printed as it closed.
    const processed = workers.map((w) =>
      Number([...w.output().matchAll(/Processed: (\d+)/g)].at(-1)?.[1] ?? 0),
    );
    // 6 pages, and the ebook's assembly (the batch's `then` job), which one of them ran.
    expect(processed.reduce((a, b) => a + b, 0)).toBe(7);
    expect(mock.requests).toHaveLength(0);
  }, 120_000);

  it('Ctrl+C cancels the ebook: its unfinished pages, waiting or being written, are cancelled and the runner exits', async () => {
    // Pages take 10-30 s offline: none can finish before the Ctrl+C.
    const runner = runExample(
      RUNNER,
      ['--topic', 'Tides', '--pages', '6', '--prefix', prefix, '--out', out],
      { ...env(), OFFLINE_LATENCY_MS: '20000', CONCURRENT_WORKERS: '2' },
    );
    started.push(runner);
    await runner.waitForOutput(/Added ebook \S+:/);
    const id = /Added ebook (\S+):/.exec(runner.output())![1]!;
    const queue = new Queue<EbookJobs>(DEFAULT_QUEUE, { connection: redisUrl(), prefix });
    try {
      // Two pages are being written when Ctrl+C comes, four are waiting.
      await until(async () => (await queue.getCounts()).active === 2, 'two pages being written');
      runner.child.kill('SIGINT');
      expect(await runner.exited).toBe(130);
      expect(runner.output()).toMatch(
        new RegExp(`Cancelled ebook ${id}: 6 unfinished pages will not be written`),
      );
      expect(await queue.getBatch(id)).toMatchObject({
        total: 6,
        completed: 0,
        failed: 6,
        done: true,
      });
      const items = await queue.getBatchResults(id);
      expect(items).toHaveLength(6);
      for (const item of items) {
        expect(item.state).toBe('failed');
        if (item.state === 'failed') {
          expect(item.error.code).toBe('ERR_JOB_CANCELLED');
          expect(item.error.message).toMatch(/cancelled with Ctrl\+C/);
        }
      }
      // Nothing is left running, no page is queued, and no ebook file was written: the
      // assembly job (added as the last page was cancelled) writes none for a cancelled ebook.
      expect(await queue.getCounts()).toMatchObject({ active: 0, delayed: 0 });
      expect((await queue.getCounts()).waiting).toBeLessThanOrEqual(1);
      expect(await readdir(out)).toEqual([]);
    } finally {
      await queue.close();
    }
  }, 120_000);

  it('assembles the ebook even if the runner that added it is killed: a worker alone writes the files', async () => {
    // Its pages take 10-30 s: none is written when it is killed.
    const runner = runExample(
      RUNNER,
      ['--topic', 'Moths', '--pages', '4', '--prefix', prefix, '--out', out],
      { ...env(), OFFLINE_LATENCY_MS: '20000' },
    );
    started.push(runner);
    await runner.waitForOutput(/Added ebook \S+:/);
    const id = /Added ebook (\S+):/.exec(runner.output())![1]!;
    expect(await runner.kill()).toBe('SIGKILL');
    // A worker of its own, writing elsewhere: the pages the killed runner held come back
    // when their leases expire (30 s), and the last page's pool writes the files.
    const elsewhere = await mkdtemp(join(tmpdir(), 'rwp-ebook-worker-'));
    try {
      const worker = runExample(
        RUNNER,
        ['--worker', '--prefix', prefix, '--out', elsewhere],
        env(),
      );
      started.push(worker);
      await until(
        async () => (await readdir(elsewhere)).length === 2,
        'the worker to write the files',
        100_000,
      );
      const files = (await readdir(elsewhere)).sort();
      expect(files).toEqual([`moths-a-short-guide-${id}.html`, `moths-a-short-guide-${id}.md`]);
      const markdown = await readFile(join(elsewhere, files[1]!), 'utf8');
      expectPagesInOrder(markdown, (n) => `Placeholder page ${n} of 4`, 4);
      await worker.waitForOutput(new RegExp(`Ebook ${id} assembled`));
      expect(await readdir(out)).toEqual([]);
    } finally {
      await rm(elsewhere, { recursive: true, force: true });
    }
  }, 150_000);
  it('makes no model call for what was written when the same command runs again; --no-cache writes anew', async () => {
    const online = { ...env(), OPENAI_API_KEY: 'test-key' };
    const once = async (extra: string[] = []) => {
      const p = runExample(
        RUNNER,
        ['--topic', 'Honey bees', '--pages', '3', '--prefix', prefix, '--out', out, ...extra],
        online,
      );
      started.push(p);
      expect(await p.exited).toBe(0);
      return p.output();
    };
    await once();
    // The outline (one request) and three pages.
    expect(mock.requests).toHaveLength(4);
    const pages = () => mock.requests.filter((r) => pageNumber(r) !== undefined).length;
    expect(pages()).toBe(3);

    const again = await once();
    expect(again).toMatch(/3 pages, 3 of them already written \(cached/);
    expect(pages()).toBe(3);
    expect(mock.requests).toHaveLength(4);

    await once(['--no-cache']);
    expect(pages()).toBe(6);
    expect(mock.requests).toHaveLength(8);
    // Three ebooks, each written out in full.
    expect((await readdir(out)).filter((f) => f.endsWith('.md'))).toHaveLength(3);
  }, 150_000);
});
