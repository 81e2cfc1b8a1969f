import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Ebook } from '../../examples/ebook/ebook.js';
import { renderMarkdown } from '../../examples/ebook/markdown.js';
import {
  fileId,
  slugify,
  toHtml,
  toMarkdown,
  writeEbookFiles,
} from '../../examples/ebook/render.js';

function ebook(texts: (string | Error)[], mode: 'openai' | 'offline' = 'openai'): Ebook {
  const pages = texts.map((_, i) => ({ title: `Title ${i + 1}`, summary: '' }));
  return {
    meta: {
      id: '1-abc',
      createdAt: 0,
      topic: 't',
      title: 'Bees & <Hives>',
      mode,
      words: 100,
      pages,
    },
    progress: {
      id: '1-abc',
      total: texts.length,
      completed: 0,
      failed: 0,
      pending: 0,
      done: true,
      createdAt: 0,
    },
    pages: texts.map((text, index) =>
      text instanceof Error
        ? { index, title: `Title ${index + 1}`, state: 'failed' as const, error: text.message }
        : {
            index,
            title: `Title ${index + 1}`,
            state: 'completed' as const,
            result: {
              index,
              text,
              model: mode === 'offline' ? 'offline' : 'm',
              usage: { promptTokens: 1, completionTokens: 2, totalTokens: 3 },
            },
          },
    ),
  };
}

describe('writing an ebook out', () => {
  it('renders model Markdown to HTML, escaping any markup the model wrote', () => {
    const html = renderMarkdown(
      '# Hives\n\n#### Deep\n\nBees **make** *honey* with `wax`.\n\n- one\n- two\n\n1. first\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1)) [ok](https://example.org)',
    );
    expect(html).toContain('<h3>Hives</h3>');
    expect(html).toContain('<h4>Deep</h4>');
    expect(renderMarkdown('### Sub')).toBe('<h3>Sub</h3>');
    expect(html).toContain(
      '<p>Bees <strong>make</strong> <em>honey</em> with <code>wax</code>.</p>',
    );
    expect(html).toContain('<ul>\n<li>one</li>\n<li>two</li>\n</ul>');
    expect(html).toContain('<ol>\n<li>first</li>\n</ol>');
    expect(html).not.toContain('<script');
    expect(html).toContain('&lt;script&gt;');
    expect(html).not.toContain('href="javascript');
    expect(html).toContain('<a href="https://example.org">ok</a>');
  });

  it('keeps pages in order, marks a failed page, and escapes the title', () => {
    const book = ebook(['One.', new Error('OpenAI API 400: nope'), 'Three.']);
    const md = toMarkdown(book);
    expect(md.indexOf('## 1. Title 1')).toBeLessThan(md.indexOf('## 2. Title 2'));
    expect(md.indexOf('## 2. Title 2')).toBeLessThan(md.indexOf('## 3. Title 3'));
    expect(md).toContain('This page could not be generated: OpenAI API 400: nope');
    expect(md).not.toContain('OFFLINE');
    const html = toHtml(book);
    expect(html).toContain('<title>Bees &amp; &lt;Hives&gt;</title>');
    expect(html).toContain('class="missing"');
    expect(html).toContain('2 of 3 pages by m, 6 tokens');
  });

  it('says loudly when the pages are offline placeholders', () => {
    expect(toMarkdown(ebook(['x'], 'offline'))).toContain('OFFLINE MODE');
    expect(toHtml(ebook(['x'], 'offline'))).toContain('<p class="offline">OFFLINE MODE');
  });

  it('names files after the title', () => {
    expect(slugify('Honey bees: A Short Guide!')).toBe('honey-bees-a-short-guide');
    expect(slugify('***')).toBe('ebook');
  });
});

describe('writeEbookFiles', () => {
  it('writes inside --out whatever the id and title read from Redis say', async () => {
    const root = mkdtempSync(join(tmpdir(), 'rwp-ebook-out-'));
    try {
      const out = join(root, 'a', 'b', 'c', 'out');
      const hostile = ebook(['text']);
      hostile.meta.id = 'x/../../../../owned';
      hostile.meta.title = '../../../../etc/owned-title';
      const files = await writeEbookFiles(hostile, out);
      expect(dirname(files.markdown)).toBe(out);
      expect(dirname(files.html)).toBe(out);
      expect(readdirSync(out).sort()).toEqual([
        'etc-owned-title-x-owned.html',
        'etc-owned-title-x-owned.md',
      ]);
      // Nothing landed where the id pointed (root/a/owned.*) or anywhere above --out.
      expect(readdirSync(join(root, 'a')).sort()).toEqual(['b']);
      expect(readdirSync(root)).toEqual(['a']);
      expect(existsSync(join(root, 'owned.md'))).toBe(false);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('keeps a runner-made id as it is, and slugs anything else', () => {
    expect(fileId('1764620000000-a1b2c3')).toBe('1764620000000-a1b2c3');
    expect(fileId('../owned')).toBe('owned');
    expect(fileId('/etc/passwd')).toBe('etc-passwd');
    expect(fileId('..')).toBe('ebook');
    expect(fileId('a\\..\\b')).toBe('a-b');
  });
});
