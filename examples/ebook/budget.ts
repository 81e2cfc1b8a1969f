/**
 * What a page costs and what decides its text: the token estimate charged to a
 * `by: 'cost'` window before the call (settled with the real `usage` after),
 * and the result-cache keys of pages and outlines.
 */
import { createHash } from 'node:crypto';
import type { PageJobData } from './ebook.js';
import { outlineMessages, pageMessages, type ChatMessage } from './prompts.js';

/** The most tokens a page may take: the words asked for, with room for Markdown and slack. */
export function pageMaxTokens(words: number): number {
  return Math.ceil(words * 2) + 100;
}

/** About four characters a token, for English prose: a good enough estimate before the call. */
export function estimateTokens(messages: readonly ChatMessage[]): number {
  return Math.ceil(messages.reduce((n, m) => n + m.content.length, 0) / 4);
}

/** A page's estimated tokens: its prompt plus the most it may write (`max_completion_tokens`). */
export function estimatePageTokens(page: PageJobData): number {
  return estimateTokens(pageMessages(page)) + pageMaxTokens(page.words);
}

function hash(parts: unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 40);
}

/**
 * The cache key of a page: the topic, the page's prompt (which holds the ebook's title,
 * its outline, the page's place in it and the words asked for) and the model. Versioned:
 * a change to the prompts or the handler bumps `v1`, and starts a new cache.
 */
export function pageCacheKey(page: PageJobData, model: string): string {
  return `ebook:page:v1:${hash([page.topic, pageMessages(page), model])}`;
}

/** The cache key of an outline: the topic, its prompt (with the number of pages), the words and the model. */
export function outlineCacheKey(
  request: { topic: string; pages: number; words: number },
  model: string,
): string {
  return `ebook:outline:v1:${hash([request.topic, outlineMessages(request.topic, request.pages), request.words, model])}`;
}
