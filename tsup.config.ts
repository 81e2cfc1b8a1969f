import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
  // Error class names must survive bundling: users match on `error.name`.
  keepNames: true,
  // p-retry and p-timeout are ESM-only; left external, the CJS build would
  // `require()` them and fail at run time. Bundling them keeps `require()` working.
  noExternal: ['p-retry', 'p-timeout', 'is-network-error'],
  // Lua scripts are inlined as strings, so the package works when an app
  // bundles it (Next.js, esbuild) and no file has to be found at run time.
  loader: { '.lua': 'text' },
});
