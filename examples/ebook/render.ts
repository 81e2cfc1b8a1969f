/**
 * Writes an assembled ebook, pages in order, as Markdown and as one
 * self-contained HTML file (inline CSS, no scripts, no external resources).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Ebook, EbookPage } from './ebook.js';
import { escapeHtml, renderMarkdown } from './markdown.js';
import { OFFLINE_NOTICE } from './offline-generator.js';

function isOffline(ebook: Ebook): boolean {
  return (
    ebook.meta.mode === 'offline' ||
    ebook.pages.some((p) => p.state === 'completed' && p.result.model === 'offline')
  );
}

function missing(page: EbookPage): string {
  return page.state === 'failed'
    ? `This page could not be generated: ${page.error}`
    : 'This page was not generated.';
}

function totals(ebook: Ebook) {
  const done = ebook.pages.filter((p) => p.state === 'completed');
  const tokens = done.reduce(
    (n, p) => n + (p.state === 'completed' ? p.result.usage.totalTokens : 0),
    0,
  );
  const models = [...new Set(done.map((p) => (p.state === 'completed' ? p.result.model : '')))];
  return { done: done.length, tokens, models };
}

function colophon(ebook: Ebook): string {
  const { done, tokens, models } = totals(ebook);
  const date = new Date(ebook.meta.createdAt).toISOString().slice(0, 10);
  return (
    `Ebook ${ebook.meta.id}, ${date}: ${done} of ${ebook.pages.length} pages by ${models.join(', ') || 'no model'}` +
    (tokens > 0 ? `, ${tokens} tokens` : '') +
    '. Generated with redis-worker-pool.'
  );
}

export function toMarkdown(ebook: Ebook): string {
  const parts = [`# ${ebook.meta.title}`];
  if (isOffline(ebook)) parts.push(`> **${OFFLINE_NOTICE}**`);
  parts.push(
    '## Contents\n\n' +
      ebook.pages.map((p) => `${p.index + 1}. [${p.title}](#page-${p.index + 1})`).join('\n'),
  );
  for (const page of ebook.pages) {
    const body = page.state === 'completed' ? page.result.text : `> _${missing(page)}_`;
    parts.push(
      `<a id="page-${page.index + 1}"></a>\n\n## ${page.index + 1}. ${page.title}\n\n${body}`,
    );
  }
  parts.push(`---\n\n_${colophon(ebook)}_`);
  return `${parts.join('\n\n')}\n`;
}

const STYLE = `
  body { max-width: 42rem; margin: 2rem auto; padding: 0 1rem; font: 1.05rem/1.6 Georgia, serif; color: #222; }
  h1 { font-size: 2.2rem; line-height: 1.2; }
  h2 { margin-top: 3rem; border-bottom: 1px solid #ddd; padding-bottom: .3rem; }
  nav ol { padding-left: 1.5rem; }
  a { color: #1a5fb4; }
  blockquote { margin: 1rem 0; padding: .5rem 1rem; border-left: 4px solid #ccc; color: #555; }
  .offline { border: 3px solid #c01c28; background: #fff0f0; color: #a51d2d; padding: 1rem; font-weight: bold; }
  .missing { color: #a51d2d; font-style: italic; }
  pre { background: #f6f6f6; padding: .8rem; overflow-x: auto; }
  footer { margin-top: 3rem; font-size: .85rem; color: #777; }
  @media print { h2 { page-break-before: always; } }
`;

export function toHtml(ebook: Ebook): string {
  const title = escapeHtml(ebook.meta.title);
  const contents = ebook.pages
    .map((p) => `<li><a href="#page-${p.index + 1}">${escapeHtml(p.title)}</a></li>`)
    .join('\n');
  const pages = ebook.pages
    .map((page) => {
      const body =
        page.state === 'completed'
          ? renderMarkdown(page.result.text)
          : `<p class="missing">${escapeHtml(missing(page))}</p>`;
      return `<section id="page-${page.index + 1}">\n<h2>${page.index + 1}. ${escapeHtml(page.title)}</h2>\n${body}\n</section>`;
    })
    .join('\n\n');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${title}</h1>
${isOffline(ebook) ? `<p class="offline">${escapeHtml(OFFLINE_NOTICE)}</p>\n` : ''}<nav>
<h2>Contents</h2>
<ol>
${contents}
</ol>
</nav>

${pages}

<footer>${escapeHtml(colophon(ebook))}</footer>
</body>
</html>
`;
}

/** `Honey bees: A short guide` -> `honey-bees-a-short-guide`. */
export function slugify(text: string): string {
  const slug = text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60)
    .replace(/-+$/, '');
  return slug || 'ebook';
}

/**
 * The id part of a file name. The id comes from Redis (the batch's metadata),
 * so it is data, not a path: only an id of the runner's own shape
 * (`<ms>-<hex>`, or letters, digits, `-` and `_`) is used as is, anything else
 * (`x/../../owned`) becomes a slug.
 */
export function fileId(id: string): string {
  return /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(id) ? id : slugify(id);
}

/**
 * Write `<dir>/<slug>-<id>.md` and `.html`; returns their absolute paths. Both
 * names are built from slugs, and each path is checked to be a file directly in
 * `dir` before anything is written.
 */
export async function writeEbookFiles(
  ebook: Ebook,
  dir: string,
): Promise<{ markdown: string; html: string }> {
  const root = resolve(dir);
  const base = join(root, `${slugify(ebook.meta.title)}-${fileId(ebook.meta.id)}`);
  const files = { markdown: `${base}.md`, html: `${base}.html` };
  for (const file of Object.values(files)) {
    if (dirname(file) !== root)
      throw new Error(`Refusing to write ${file}: it is not a file directly in ${root}`);
  }
  await mkdir(root, { recursive: true });
  await writeFile(files.markdown, toMarkdown(ebook));
  await writeFile(files.html, toHtml(ebook));
  return files;
}
