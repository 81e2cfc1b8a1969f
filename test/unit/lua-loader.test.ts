import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadLua } from '../../src/redis/lua-loader.js';

const luaDir = join(import.meta.dirname, '..', '..', 'src', 'redis', 'lua');

describe('loadLua', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rwp-lua-'));
  mkdirSync(join(dir, 'includes'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('inlines each include once and reads the KEYS count from the file name', () => {
    writeFileSync(join(dir, 'includes', 'a.lua'), 'local function a() return 1 end\n');
    writeFileSync(
      join(dir, 'script-3.lua'),
      '--- @include "includes/a.lua"\n--- @include "includes/a.lua"\nreturn a()\n',
    );
    const { lua, numberOfKeys, files } = loadLua(join(dir, 'script-3.lua'));
    expect(numberOfKeys).toBe(3);
    expect(lua.match(/local function a\(\)/g)).toHaveLength(1);
    expect(lua).not.toContain('@include');
    expect(files).toHaveLength(2);
  });

  it('leaves the KEYS count to each call for a script named -<N>+.lua', () => {
    writeFileSync(join(dir, 'many-2+.lua'), 'return #KEYS\n');
    expect(loadLua(join(dir, 'many-2+.lua')).numberOfKeys).toBeUndefined();
  });

  it('refuses a script whose name does not give its KEYS count', () => {
    writeFileSync(join(dir, 'nameless.lua'), 'return 1\n');
    expect(() => loadLua(join(dir, 'nameless.lua'))).toThrow(/-<number of KEYS>\.lua/);
  });

  it('leaves no include unresolved in the library’s scripts, and writes each helper once', () => {
    for (const file of readdirSync(luaDir).filter((f) => f.endsWith('.lua'))) {
      const { lua } = loadLua(join(luaDir, file));
      expect(lua, file).not.toContain('@include');
      // The TIME-to-ms conversion lives in includes/now.lua only.
      expect(readFileSync(join(luaDir, file), 'utf8')).not.toContain("call('TIME')");
    }
  });
});
