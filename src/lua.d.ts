// Lua scripts are imported as modules: src/redis/lua-loader.ts inlines their
// includes and reads their KEYS count from the file name, for both the build
// (tsup.config.ts) and the tests (vitest.config.ts).
declare module '*.lua' {
  const script: { readonly lua: string; readonly numberOfKeys: number };
  export default script;
}
