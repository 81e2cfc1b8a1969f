import { readFileSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  plugins: [
    {
      // The same as tsup's `.lua: 'text'` loader: a Lua file imports as its source text.
      name: 'lua-as-text',
      enforce: 'pre',
      load(id) {
        if (!id.endsWith('.lua')) return null;
        return `export default ${JSON.stringify(readFileSync(id, 'utf8'))};`;
      },
    },
  ],
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration tests start processes and Redis servers: keep the 2-core machine from thrashing.
    maxWorkers: 2,
  },
});
