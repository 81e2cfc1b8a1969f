import { readFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';

/**
 * Turns a Lua script file into the module the library imports: its source
 * with every `--- @include "includes/name.lua"` line replaced by that file
 * (each included once per script), and its number of KEYS, read from the file
 * name (`heartbeat-2.lua`: 2), so the count is written in one place. A name
 * ending in `-<N>+.lua` (`move-18+.lua`) is a script whose first N KEYS are
 * fixed and whose caller declares more after them (the keys of the jobs and
 * batches it reports, say): its `numberOfKeys` is left out, so ioredis takes
 * the count from each call's first argument.
 *
 * Shared by the build (tsup.config.ts) and the tests (vitest.config.ts); it
 * imports only Node built-ins, so loading a config never pulls the library in.
 */
export interface LoadedLua {
  /** The script, includes inlined. */
  readonly lua: string;
  /** Undefined for a script that takes a variable number of KEYS (`name-<N>+.lua`). */
  readonly numberOfKeys: number | undefined;
  /** Every file read, the script first: for a watcher to reload on change. */
  readonly files: readonly string[];
}

const INCLUDE = /^--- @include "([^"]+)"[ \t]*$/gm;

export function loadLua(file: string): LoadedLua {
  const match = /-(\d+)(\+?)\.lua$/.exec(basename(file));
  if (!match) {
    throw new Error(
      `A Lua script's name must end in -<number of KEYS>.lua (or -<fixed KEYS>+.lua): ${file}`,
    );
  }
  const files: string[] = [];
  const lua = inline(resolve(file), files);
  return { lua, numberOfKeys: match[2] ? undefined : Number(match[1]), files };
}

function inline(file: string, files: string[]): string {
  files.push(file);
  const source = readFileSync(file, 'utf8');
  return source.replace(INCLUDE, (_line, path: string) => {
    const included = resolve(dirname(file), path);
    // Included once: a helper two includes both need is defined a single time.
    if (files.includes(included)) return '';
    return inline(included, files).trimEnd();
  });
}

/** The JavaScript module of a script: `export default { lua, numberOfKeys }`. */
export function luaModule(file: string): { code: string; files: readonly string[] } {
  const { lua, numberOfKeys, files } = loadLua(file);
  return { code: `export default ${JSON.stringify({ lua, numberOfKeys })};`, files };
}
