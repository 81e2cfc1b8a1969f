// A program that reaches this file through `paths` alone (the docs' samples) needs the
// declaration of `?raw` imports named here.
// eslint-disable-next-line @typescript-eslint/triple-slash-reference
/// <reference path="./assets.d.ts" />
import { createHash } from 'node:crypto';
import script from './app.client.js?raw';
import style from './style.js';

export interface Asset {
  /** The file name, with a hash of its content so it can be cached for good. */
  readonly name: string;
  readonly type: string;
  readonly body: string;
}

function asset(base: string, ext: string, type: string, body: string): Asset {
  const hash = createHash('sha256').update(body).digest('hex').slice(0, 10);
  return { name: `${base}.${hash}.${ext}`, type, body };
}

/** The page's files, served at `assets/<name>`. */
export const SCRIPT = asset('app', 'js', 'text/javascript; charset=utf-8', script);
export const STYLE = asset('app', 'css', 'text/css; charset=utf-8', style);

/** The tab's icon: without one, browsers ask for /favicon.ico, outside the dashboard. */
export const ICON = asset(
  'icon',
  'svg',
  'image/svg+xml',
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#2458d6"/><path d="M4 11V5h2v6zm3 0V7h2v4zm3 0V3h2v8z" fill="#fff"/></svg>',
);
