import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * The policy of every response. The page runs one script, served as a file
 * (`script-src 'self'`: no inline script, no eval), draws its chart as SVG
 * built in the DOM, and talks only to its own origin; no site may frame it.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  // Not `no-referrer`: with it, Chromium sends `Origin: null` on the page's own form posts.
  'referrer-policy': 'same-origin',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

/** Write the status line and headers, the security headers always included. */
export function writeHead(
  res: ServerResponse,
  status: number,
  headers: Record<string, string | string[]> = {},
): ServerResponse {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
  if (!('cache-control' in headers)) res.setHeader('cache-control', 'no-store');
  return res.writeHead(status, headers);
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  writeHead(res, status, { 'content-type': 'application/json; charset=utf-8' }).end(
    JSON.stringify(body),
  );
}

/** An error for the page: a message meant for an operator, never a stack or a connection string. */
export function sendError(
  res: ServerResponse,
  status: number,
  message: string,
  headers: Record<string, string> = {},
): void {
  writeHead(res, status, { 'content-type': 'application/json; charset=utf-8', ...headers }).end(
    JSON.stringify({ error: message }),
  );
}

export function sendText(
  res: ServerResponse,
  status: number,
  contentType: string,
  body: string,
  headers: Record<string, string | string[]> = {},
): void {
  writeHead(res, status, { 'content-type': contentType, ...headers }).end(body);
}

export function redirect(
  res: ServerResponse,
  location: string,
  headers: Record<string, string | string[]> = {},
): void {
  writeHead(res, 303, { location, ...headers }).end();
}

/** The largest request body the dashboard reads: a job id, a token. */
const MAX_BODY = 16 * 1024;

/**
 * Read a small request body. A body already parsed by a framework
 * (`express.json()`) is taken from `req.body` instead of the drained stream.
 */
export async function readBody(req: IncomingMessage): Promise<string | Record<string, unknown>> {
  const parsed = (req as { body?: unknown }).body;
  if (
    parsed !== undefined &&
    parsed !== null &&
    typeof parsed === 'object' &&
    !Buffer.isBuffer(parsed)
  )
    return parsed as Record<string, unknown>;
  if (typeof parsed === 'string') return parsed;
  if (req.readableEnded) return '';
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new HttpError(413, 'Request body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** An error that becomes a response with this status and message. */
export class HttpError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
  }
}

export function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    if (!cookies.has(name)) cookies.set(name, part.slice(eq + 1).trim());
  }
  return cookies;
}

/** One header's value, the first when a client sent it twice. */
export function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
