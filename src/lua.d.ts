// Lua scripts are imported as modules: src/redis/lua-loader.ts inlines their
// includes and reads their KEYS count from the file name, for both the build
// (tsup.config.ts) and the tests (vitest.config.ts).
declare module '*.lua' {
  // numberOfKeys is absent for a script whose caller sends the count (`name-<N>+.lua`).
  const script: { readonly lua: string; readonly numberOfKeys?: number };
  export default script;
}
