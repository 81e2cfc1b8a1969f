/**
 * Debian's Chromium, driven by playwright-core (which downloads no browser).
 * Without the background-networking flags Chromium floods a closed network
 * with lookups.
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
