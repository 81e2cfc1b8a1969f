import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const src = resolve(import.meta.dirname, '..', '..', 'src');

/** The consumer's files: a `Queue` in an API route must not load any of them. */
const POOL_FILES = [
  'worker-pool.ts',
  'claim-loop.ts',
  'job-executor.ts',
  'job-runner.ts',
  'lease-keeper.ts',
  'handlers.ts',
];

/** Every src file `file` reaches through its imports (type-only ones included). */
function importGraph(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen;
  seen.add(file);
  const text = readFileSync(file, 'utf8');
  for (const [, spec] of text.matchAll(
    /(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s+'(\.[^']+)'/g,
  )) {
    if (!spec || spec.endsWith('.lua')) continue;
    importGraph(resolve(dirname(file), spec.replace(/\.js$/, '.ts')), seen);
  }
  return seen;
}

describe('the producer side', () => {
  it('imports nothing from the pool’s files', () => {
    const reached = [...importGraph(join(src, 'queue.ts'))].map((f) => relative(src, f));
    // The walk itself works: it reaches the scripts and the protocol.
    expect(reached).toContain(join('redis', 'protocol', 'move.ts'));
    expect(reached.filter((f) => POOL_FILES.includes(f))).toEqual([]);
  });

  it('would notice the pool in the graph (the check can fail)', () => {
    const reached = [...importGraph(join(src, 'index.ts'))].map((f) => relative(src, f));
    expect(reached).toEqual(expect.arrayContaining(POOL_FILES));
  });
});
