/**
 * The prompts the example sends, and the parsing of the outline the model
 * answers with. Pure functions: no network, no SDK.
 */
import type { OutlineEntry, PageJobData } from './ebook.js';

export interface ChatMessage {
  role: 'system' | 'user';
  content: string;
}

/** The two messages that ask for one page, built from the ebook's title, outline and the page index. */
export function pageMessages(page: PageJobData): ChatMessage[] {
  const n = page.index + 1;
  const total = page.outline.length;
  const entry = page.outline[page.index] ?? { title: `Page ${n}`, summary: '' };
  const outline = page.outline
    .map(
      (e, i) =>
        `${i + 1}. ${e.title}${e.summary ? ` - ${e.summary}` : ''}${i === page.index ? '   <- this page' : ''}`,
    )
    .join('\n');
  return [
    {
      role: 'system',
      content:
        `You are writing the ebook "${page.title}", about ${page.topic}. Write clear, engaging, accurate prose ` +
        'in Markdown: paragraphs, a short list or a "###" subheading where it helps. Do not repeat the page ' +
        'title as a heading, and write no preamble or closing remarks: only the page itself.',
    },
    {
      role: 'user',
      content:
        `Write page ${n} of ${total} of the ebook "${page.title}".\n\n` +
        `The outline:\n${outline}\n\n` +
        `This page: "${entry.title}"${entry.summary ? `: ${entry.summary}` : ''}\n` +
        `Length: about ${page.words} words. Cover this page's part of the outline only; the other pages cover theirs.`,
    },
  ];
}

/** The messages that ask for an outline of `pages` pages, as JSON. */
export function outlineMessages(topic: string, pages: number): ChatMessage[] {
  return [
    {
      role: 'system',
      content: 'You plan ebooks. Answer with one JSON object and nothing else.',
    },
    {
      role: 'user',
      content:
        `Plan a short ebook about "${topic}" with exactly ${pages} pages. Answer with JSON of this shape:\n` +
        '{"title": "the ebook title", "pages": [{"title": "page title", "summary": "one sentence on what the page covers"}]}',
    },
  ];
}

/**
 * Read the model's outline leniently (code fences, text around the JSON),
 * then fit it to `pages` entries. `null` when there is no usable outline.
 */
export function parseOutline(
  text: string,
  pages: number,
): { title: string; pages: OutlineEntry[] } | null {
  const start = text.indexOf('{');
  const end = text.lastIndexOf('}');
  if (start < 0 || end <= start) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.slice(start, end + 1));
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null) return null;
  const { title, pages: list } = parsed as { title?: unknown; pages?: unknown };
  if (!Array.isArray(list)) return null;
  const entries: OutlineEntry[] = [];
  for (const item of list) {
    if (typeof item === 'string' && item.trim()) entries.push({ title: item.trim(), summary: '' });
    else if (
      item &&
      typeof item === 'object' &&
      typeof item.title === 'string' &&
      item.title.trim()
    )
      entries.push({
        title: item.title.trim(),
        summary: typeof item.summary === 'string' ? item.summary.trim() : '',
      });
  }
  if (entries.length === 0) return null;
  return {
    title: typeof title === 'string' && title.trim() ? title.trim() : '',
    pages: entries.slice(0, pages),
  };
}

/** Models often open a page with its title as a heading anyway: drop that line. */
export function stripLeadingTitle(text: string, title: string | undefined): string {
  const trimmed = text.trim();
  if (!title) return trimmed;
  const firstLine = trimmed.split('\n', 1)[0] ?? '';
  const heading = /^#{1,6}\s+(.*)$/.exec(firstLine)?.[1];
  const norm = (s: string) =>
    s
      .toLowerCase()
      .replace(/[^\p{L}\p{N}]+/gu, ' ')
      .trim();
  if (heading !== undefined && norm(heading).includes(norm(title)))
    return trimmed.slice(firstLine.length).trim();
  return trimmed;
}
