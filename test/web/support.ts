import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import {
  createDashboard,
  type Dashboard,
  type DashboardOptions,
} from '../../src/dashboard/index.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './browser.js';

export interface Served {
  /** `http://127.0.0.1:<port>/` */
  readonly url: string;
  readonly dashboard: Dashboard;
  readonly server: Server;
  close(): Promise<void>;
}

/** A dashboard on node:http, on a free port of 127.0.0.1. */
export async function serveDashboard(options: DashboardOptions): Promise<Served> {
  const dashboard = createDashboard(options);
  const server = createServer(dashboard);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  return {
    url,
    dashboard,
    server,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await dashboard.close();
    },
  };
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}

/**
 * A fresh page that records every console error, uncaught exception and
 * `alert()` (an XSS payload that ran would call one).
 */
export async function openPage(
  browser: Browser,
  viewport = { width: 1280, height: 900 },
): Promise<{ page: Page; problems: string[] }> {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  page.on('dialog', (dialog) => {
    problems.push(`dialog: ${dialog.message()}`);
    void dialog.dismiss();
  });
  return { page, problems };
}

/** The CSRF token the page embeds. */
export function csrfOf(html: string): string {
  const token = /<meta name="csrf-token" content="([0-9a-f]+)">/.exec(html)?.[1];
  if (!token) throw new Error('No CSRF token in the page');
  return token;
}
