import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { addEbook, waitForEbook } from '../../examples/ebook/ebook.js';
import {
  createEbookPageHandler,
  createOutlinePlanner,
  generatorConfigFromEnv,
} from '../../examples/ebook/generator.js';
import { writeEbookFiles } from '../../examples/ebook/render.js';
import { testPlan, useEbookQueue } from '../support/ebook.js';

describe('offline mode (no OPENAI_API_KEY)', () => {
  const h = useEbookQueue('ebook-offline');
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('produces a full ebook with no network, and says so in the files', async () => {
    // A base URL is set but no key: still offline, and nothing may be fetched.
    const config = generatorConfigFromEnv({
      OPENAI_BASE_URL: 'http://127.0.0.1:9/v1',
      OFFLINE_LATENCY_MS: '20',
    });
    expect(config.mode).toBe('offline');
    const fetch = vi.fn(() => Promise.reject(new Error('offline mode must not fetch')));
    vi.stubGlobal('fetch', fetch);

    const plan = await createOutlinePlanner(config)({ topic: 'Tides', pages: 12, words: 100 });
    expect(plan).toMatchObject({ mode: 'offline', title: 'Tides: A Short Guide' });
    expect(plan.pages).toHaveLength(12);
    const queue = h.queue();
    const pool = h.pool({ page: createEbookPageHandler(config) }, { concurrency: 4 });
    await pool.start();
    const meta = await addEbook(queue, plan);
    const ebook = await waitForEbook(queue, meta.id, { timeout: 30_000 });

    expect(ebook.progress).toMatchObject({ completed: 12, failed: 0 });
    ebook.pages.forEach((page, i) => {
      expect(page.state === 'completed' && page.result.model).toBe('offline');
      expect(page.state === 'completed' && page.result.text).toContain(
        `Placeholder page ${i + 1} of 12`,
      );
    });
    expect(fetch).not.toHaveBeenCalled();

    const out = await mkdtemp(join(tmpdir(), 'rwp-offline-'));
    try {
      const files = await writeEbookFiles(ebook, out);
      expect(await readFile(files.markdown, 'utf8')).toContain('OFFLINE MODE');
      expect(await readFile(files.html, 'utf8')).toContain('<p class="offline">OFFLINE MODE');
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });

  it('fails a page that needs a model at once on a worker with no key, saying why', async () => {
    const config = generatorConfigFromEnv({});
    const queue = h.queue();
    const pool = h.pool({ page: createEbookPageHandler(config) }, { concurrency: 1 });
    await pool.start();
    const meta = await addEbook(queue, testPlan(1, 'openai'));
    const ebook = await waitForEbook(queue, meta.id, { timeout: 30_000 });
    const page = ebook.pages[0]!;
    expect(page.state === 'failed' && page.error).toMatch(
      /needs a model, but this worker has no OPENAI_API_KEY/,
    );
  });
});
