import type { Plugin } from 'esbuild';
import { defineConfig } from 'tsup';
import { luaModule } from './src/redis/lua-loader.js';

/** Lua scripts become modules: their source (includes inlined) and KEYS count. */
const luaPlugin: Plugin = {
  name: 'lua-scripts',
  setup(build) {
    build.onLoad({ filter: /\.lua$/ }, ({ path }) => {
      const { code, files } = luaModule(path);
      return { contents: code, loader: 'js', watchFiles: [...files] };
    });
  },
};

export default defineConfig([
  {
    // `redis-worker-pool/metrics` is an entry of its own, so prom-client (an
    // optional peer dependency) is only loaded by those who import it; so is
    // `redis-worker-pool/dashboard`, so its page weighs nothing on the others.
    entry: {
      index: 'src/index.ts',
      metrics: 'src/metrics.ts',
      dashboard: 'src/dashboard/index.ts',
    },
    format: ['esm', 'cjs'],
    dts: true,
    // Both builds run at once and share dist/: leave the CLI's files to the other one.
    clean: ['!cli.js', '!cli.js.map'],
    // One file per entry, no shared chunk: index.js stays self-contained.
    splitting: false,
    sourcemap: true,
    target: 'node20',
    // No `keepNames`: it wraps every closure creation in a helper call, which
    // showed in the per-job profile. Error names come from `new.target.name`,
    // and the package test checks they survive bundling.
    // p-retry is ESM-only; left external, the CJS build would `require()` it
    // and fail at run time. Bundling it keeps `require()` working.
    noExternal: ['p-retry', 'is-network-error'],
    // Lua scripts are inlined as strings, so the package works when an app
    // bundles it (Next.js, esbuild) and no file has to be found at run time.
    esbuildPlugins: [luaPlugin],
    // The dashboard's page script is imported as text (with `?raw`).
    loader: { '.client.js': 'text' },
  },
  {
    // The `worker-pool` command. It imports the library by its own package
    // name (left external), so it shares one copy of the library with the
    // handler modules it loads: their `UnrecoverableError` is the pool's.
    entry: { cli: 'src/cli/main.ts' },
    format: ['esm'],
    dts: false,
    clean: false,
    sourcemap: true,
    target: 'node20',
    external: ['redis-worker-pool', 'redis-worker-pool/metrics', 'redis-worker-pool/dashboard'],
    banner: { js: '#!/usr/bin/env node' },
  },
]);
