/**
 * The stand-in for a model when there is no `OPENAI_API_KEY`: it writes
 * placeholder pages locally, after a simulated latency, so the example runs
 * on a fresh machine with no key and no network. It says so loudly: in the
 * first log line of the runner and at the top of every file it produces.
 */
import type { HandlerContext, Job } from 'redis-worker-pool';
import type { OutlineEntry, PageJobData, PageProgress, PageResult } from './ebook.js';

export const OFFLINE_NOTICE =
  'OFFLINE MODE: OPENAI_API_KEY is not set, so no model is called. Pages are placeholder text ' +
  'written locally after a simulated delay. Set OPENAI_API_KEY (and OPENAI_BASE_URL for another ' +
  'OpenAI-compatible server) to generate a real ebook.';

/** The one line that opens the runner's output in offline mode. */
export const OFFLINE_BANNER = `!!! ${OFFLINE_NOTICE} !!!`;

/** Simulated time per page when `OFFLINE_LATENCY_MS` is unset, in ms. */
export const DEFAULT_OFFLINE_LATENCY_MS = 1500;

export interface OfflineGeneratorOptions {
  /** Average simulated time per page, in ms; each page takes 50-150% of it. @default 1500 */
  latency?: number;
}

/** The `page` handler of offline mode. Honours the job's signal like a real model call would. */
export function createOfflinePageHandler(
  options: OfflineGeneratorOptions = {},
): (job: Job<PageJobData, 'page'>, context: HandlerContext) => Promise<PageResult> {
  const latency = options.latency ?? DEFAULT_OFFLINE_LATENCY_MS;
  return async (job, { signal, progress }) => {
    const { index, outline, topic, title: bookTitle } = job.data;
    const entry = outline[index] ?? { title: `Page ${index + 1}`, summary: '' };
    const text = offlinePageText(bookTitle, topic, entry, index, outline.length);
    // Written in four parts over the simulated time, each reported as the page so far,
    // as the streaming model handler reports its tokens.
    const parts = 4;
    const step = (latency * (0.5 + Math.random())) / parts;
    for (let part = 1; part <= parts; part++) {
      await sleep(step, signal);
      const sofar = text.slice(0, Math.ceil((text.length * part) / parts));
      const report: PageProgress = { chars: sofar.length, text: sofar };
      if (part === parts) report.done = true;
      void progress(report);
    }
    return {
      index,
      title: entry.title,
      text,
      model: 'offline',
      usage: { promptTokens: 0, completionTokens: 0, totalTokens: 0 },
    };
  };
}

/** A generic outline for `pages` pages: the offline planner, and the fallback when a model's outline cannot be read. */
export function offlineOutline(
  topic: string,
  pages: number,
): { title: string; pages: OutlineEntry[] } {
  const t = topic.trim();
  const templates: [string, string][] = [
    [`Introducing ${t}`, `A first look at ${t} and why it matters.`],
    [`A short history of ${t}`, `Where ${t} comes from and how it developed.`],
    [`${cap(t)}: how it all works`, `The main mechanisms behind ${t}.`],
    [`Key ideas in ${t}`, `The concepts every newcomer to ${t} should know.`],
    [`${cap(t)} in everyday life`, `Where people meet ${t} day to day.`],
    [`Common myths about ${t}`, `What people often get wrong about ${t}.`],
    [`Getting started with ${t}`, `First practical steps.`],
    [`Tools and resources for ${t}`, `What helps when working with ${t}.`],
    [`Challenges around ${t}`, `Problems, risks and open questions.`],
    [`${cap(t)} around the world`, `How ${t} differs from place to place.`],
    [`The future of ${t}`, `Trends and what may come next.`],
  ];
  const list: OutlineEntry[] = [];
  for (let i = 0; i < pages; i++) {
    if (i === pages - 1 && pages > 1) {
      list.push({ title: 'Summary and next steps', summary: `What to remember about ${t}.` });
      continue;
    }
    const [title, summary] = templates[i % templates.length] ?? ['', ''];
    const round = Math.floor(i / templates.length);
    list.push({ title: round > 0 ? `${title} (part ${round + 1})` : title, summary });
  }
  return { title: `${cap(t)}: A Short Guide`, pages: list };
}

function offlinePageText(
  bookTitle: string,
  topic: string,
  entry: OutlineEntry,
  index: number,
  total: number,
): string {
  return [
    `*Placeholder page ${index + 1} of ${total}, written offline: no model was called.*`,
    `This page of "${bookTitle}" covers "${entry.title}". ${entry.summary} ` +
      `A model would write around this point, drawing on the outline so that the page covers its own ` +
      `part of ${topic} and leaves the rest to the other pages.`,
    `### In short\n\n- The subject: ${topic}\n- This page: ${entry.title}\n- Position: ${index + 1} of ${total}`,
    `Set \`OPENAI_API_KEY\` and run the same command again to replace this text with a real page.`,
  ].join('\n\n');
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
