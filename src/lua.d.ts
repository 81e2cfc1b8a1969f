// Lua scripts are imported as text: tsup's `.lua` loader inlines them in the
// bundle, and vitest.config.ts does the same for the tests.
declare module '*.lua' {
  const source: string;
  export default source;
}
