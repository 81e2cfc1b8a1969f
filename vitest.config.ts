import { defineConfig } from 'vitest/config';
import { luaModule } from './src/redis/lua-loader.js';

export default defineConfig({
  plugins: [
    {
      // The same loader as the build's (tsup.config.ts): includes inlined, KEYS count from the name.
      name: 'lua-scripts',
      enforce: 'pre',
      load(id) {
        if (!id.endsWith('.lua')) return null;
        const { code, files } = luaModule(id);
        for (const file of files.slice(1)) this.addWatchFile(file);
        return code;
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
