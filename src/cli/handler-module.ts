import { existsSync, statSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { DefaultJobMap, JobHandlers } from 'redis-worker-pool';
import { CliError } from './cli-error.js';

/** The handlers found in a module, and how to name them in the logs. */
export interface LoadedHandlers {
  /** Checked by the pool itself: `new WorkerPool()` refuses anything else. */
  readonly handlers: JobHandlers<DefaultJobMap>;
  /** The job names handled, or `['*']` when one function handles every name. */
  readonly names: readonly string[];
  readonly path: string;
}

const HOW =
  'Export one function per job name (`export async function page(job, { signal }) {...}`, ' +
  'or `module.exports = { page }`), or a default function that handles every job.';

/**
 * Load the module given to `--handler` (ESM or CommonJS) and find its
 * handlers: a default export that is a function (every job name), else the
 * functions of a default export that is an object, else the module's named
 * exports that are functions. Other exports (constants, config) are ignored.
 */
export async function loadHandlers(spec: string, cwd: string): Promise<LoadedHandlers> {
  const path = resolve(cwd, spec);
  if (!existsSync(path) || !statSync(path).isFile()) {
    throw new CliError(`Handler module not found: ${spec} (looked for ${path})`, {
      hint: `Pass the path of a .js, .mjs or .cjs file, relative to the current directory (${cwd}). ${HOW}`,
    });
  }
  let module: Record<string, unknown>;
  try {
    module = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (error) {
    const e = error as Error & { code?: string };
    const typescript = ['.ts', '.mts', '.cts'].includes(extname(path));
    throw new CliError(
      `Could not load handler module ${spec}: ${e.name === 'Error' ? '' : `${e.name}: `}${e.message}`,
      {
        hint:
          typescript && e.code === 'ERR_UNKNOWN_FILE_EXTENSION'
            ? 'Node.js 20 cannot run TypeScript by itself: compile the handlers to JavaScript, or load a TypeScript loader with NODE_OPTIONS="--import tsx".'
            : e.code === 'ERR_MODULE_NOT_FOUND'
              ? 'A module it imports is missing: install the dependencies of the handler module (npm install) in its project.'
              : undefined,
      },
    );
  }
  return { ...findHandlers(module, spec), path };
}

function findHandlers(module: Record<string, unknown>, spec: string): Omit<LoadedHandlers, 'path'> {
  let source: Record<string, unknown> = module;
  let fallback = module.default;
  // A CommonJS module compiled from ESM: `exports.default = ...` with `__esModule`.
  if (isObject(fallback) && fallback.__esModule === true && 'default' in fallback)
    fallback = fallback.default;
  if (typeof fallback === 'function') {
    return { handlers: fallback as JobHandlers<DefaultJobMap>, names: ['*'] };
  }
  if (isObject(fallback)) source = fallback;
  const handlers: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(source)) {
    if (name !== 'default' && typeof value === 'function') handlers[name] = value;
  }
  const names = Object.keys(handlers);
  if (names.length === 0) {
    throw new CliError(`Handler module ${spec} exports no functions`, { hint: HOW });
  }
  return { handlers: handlers as JobHandlers<DefaultJobMap>, names };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
