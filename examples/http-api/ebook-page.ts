/**
 * The ebook page's documents and files: one HTML shell for `/` (the form and
 * the recent ebooks) and `/ebook/<id>` (one ebook, live), filled in by
 * page/ebook.client.js from the JSON API. Read once at start, no build step;
 * served with hashed names so a browser may keep them for good. The HTML
 * holds no data of an ebook: the script writes everything with `textContent`.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { escapeHtml } from '../ebook/markdown.js';

interface Asset {
  name: string;
  type: string;
  body: string;
}

function asset(file: string, type: string): Asset {
  const body = readFileSync(new URL(`./page/${file}`, import.meta.url), 'utf8');
  const hash = createHash('sha256').update(body).digest('hex').slice(0, 10);
  const dot = file.indexOf('.');
  return { name: `${file.slice(0, dot)}.${hash}${file.slice(file.lastIndexOf('.'))}`, type, body };
}

const ASSETS = [
  asset('ebook.client.js', 'text/javascript; charset=utf-8'),
  asset('ebook.css', 'text/css; charset=utf-8'),
  asset('icon.svg', 'image/svg+xml'),
];
const [SCRIPT, STYLE, ICON] = ASSETS as [Asset, Asset, Asset];

/** The page runs one script from its own origin, and frames only the rendered ebook (its own origin too). */
const PAGE_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
  "frame-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/**
 * The rendered ebook, in the page's frame: its own inline style, nothing
 * else, and sandboxed, so even markup that slipped through could run nothing.
 */
export const EBOOK_HTML_POLICY =
  "default-src 'none'; style-src 'unsafe-inline'; sandbox; base-uri 'none'; frame-ancestors 'self'";

/** Headers of every response of the page and its API. */
export const COMMON_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

/** Serve `/assets/<name>`; false when no file has that name. */
export function sendAsset(res: ServerResponse, name: string): boolean {
  const file = ASSETS.find((a) => a.name === name);
  if (!file) return false;
  res.writeHead(200, {
    ...COMMON_HEADERS,
    'content-type': file.type,
    'content-length': Buffer.byteLength(file.body),
    'cache-control': 'public, max-age=31536000, immutable',
  });
  res.end(file.body);
  return true;
}

export interface PageConfig {
  /** Models the form offers; the first is the default. */
  models: readonly string[];
  maxPages: number;
  /** `offline` when pages are placeholders written with no model. */
  mode: 'openai' | 'offline';
  /** The queue's budgets, shown beside the form when the server has them. */
  budgets?: { rpm?: number; tpm?: number };
}

/** The shell of both pages; `ebookId` set for `/ebook/<id>`. */
export function sendPage(res: ServerResponse, config: PageConfig, ebookId?: string): void {
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Ebooks · redis-worker-pool</title>
<link rel="stylesheet" href="/assets/${STYLE.name}">
<link rel="icon" href="/assets/${ICON.name}" type="image/svg+xml">
<script src="/assets/${SCRIPT.name}" defer></script>
</head>
<body data-config="${escapeHtml(JSON.stringify(config))}"${ebookId === undefined ? '' : ` data-ebook="${escapeHtml(ebookId)}"`}>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
  <h1><a href="/">Ebooks</a></h1>
  <p id="live" class="badge" role="status" hidden></p>
</header>
<main id="main" tabindex="-1">
  <section id="new" class="card" aria-labelledby="new-title" hidden>
    <h2 id="new-title">Write an ebook</h2>
    <p id="offline" class="warn" hidden>Offline mode: no model is called; pages are placeholder text.</p>
    <form id="form">
      <label for="topic">Topic</label>
      <input id="topic" name="topic" required maxlength="200" autocomplete="off" placeholder="Honey bees">
      <div class="pair">
        <div><label for="pages">Pages</label><input id="pages" name="pages" type="number" min="1" value="5" required></div>
        <div><label for="model">Model</label><select id="model" name="model"></select></div>
      </div>
      <p id="budgets" class="muted" hidden></p>
      <button type="submit" class="primary">Write it</button>
      <p id="form-error" class="error" role="alert" hidden></p>
    </form>
  </section>
  <section id="ebook" class="card" aria-labelledby="ebook-title" hidden>
    <div class="row">
      <h2 id="ebook-title"></h2>
      <span id="ebook-state" class="badge"></span>
      <button id="cancel" type="button" class="danger">Cancel</button>
    </div>
    <p id="ebook-topic" class="muted"></p>
    <progress id="bar" max="1" value="0"></progress>
    <p id="rate" class="muted" aria-live="polite"></p>
    <details id="outline-box"><summary>Outline</summary><ol id="outline"></ol></details>
    <div id="downloads" class="row" hidden>
      <a id="download-md" download>Download .md</a>
      <a id="download-html" download>Download .html</a>
    </div>
    <iframe id="book" title="The ebook" sandbox hidden></iframe>
    <h3 id="pages-title">Pages</h3>
    <div class="row pager" id="pager" hidden><p id="pages-range" class="muted"></p><div><button id="prev" type="button">‹ Previous</button> <button id="next" type="button">Next ›</button></div></div>
    <ol id="cards" class="cards" aria-labelledby="pages-title"></ol>
  </section>
  <section id="recent" class="card" aria-labelledby="recent-title">
    <h2 id="recent-title">Recent ebooks</h2>
    <ul id="recent-list" class="recent"></ul>
    <p id="recent-empty" class="muted" hidden>No ebook yet.</p>
    <div class="row pager"><button id="recent-prev" type="button">‹ Newer</button> <button id="recent-next" type="button">Older ›</button></div>
  </section>
</main>
<dialog id="confirm" aria-labelledby="confirm-text">
  <form method="dialog">
    <p id="confirm-text"></p>
    <div class="row"><button value="no" type="submit" autofocus>Keep writing</button> <button value="yes" type="submit" class="danger">Cancel the ebook</button></div>
  </form>
</dialog>
<div id="toast" role="alert" hidden></div>
</body>
</html>
`;
  res.writeHead(200, {
    ...COMMON_HEADERS,
    'content-security-policy': PAGE_POLICY,
    'x-frame-options': 'DENY',
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
  });
  res.end(html);
}
