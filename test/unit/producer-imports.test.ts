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

/** The src files `file` imports directly (type-only imports included). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const found: string[] = [];
  for (const [, spec] of text.matchAll(
    /(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s+'(\.[^']+)'/g,
  )) {
    if (!spec || spec.endsWith('.lua') || spec.includes('?')) continue;
    found.push(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
  }
  return found;
}

/** Every src file `file` reaches through its imports (type-only ones included). */
function importGraph(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen;
  seen.add(file);
  for (const next of importsOf(file)) importGraph(next, seen);
  return seen;
}

/** An import cycle reachable from `file`, as the chain of files that closes it; undefined if none. */
function findCycle(
  file: string,
  imports: (file: string) => string[] = importsOf,
  path: string[] = [],
  done = new Set<string>(),
): string[] | undefined {
  const at = path.indexOf(file);
  if (at >= 0) return [...path.slice(at), file];
  if (done.has(file)) return undefined;
  for (const next of imports(file)) {
    const cycle = findCycle(next, imports, [...path, file], done);
    if (cycle) return cycle;
  }
  done.add(file);
  return undefined;
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

describe('the import graph of src/', () => {
  const entries = ['index.ts', 'metrics.ts', join('dashboard', 'index.ts'), join('cli', 'main.ts')];

  it('has no cycle: the house reads top-down', () => {
    for (const entry of entries) {
      const cycle = findCycle(join(src, entry))?.map((f) => relative(src, f));
      expect(cycle, `a cycle reachable from ${entry}`).toBeUndefined();
    }
  });

  it('would notice a cycle (the check can fail)', () => {
    const a = join(src, 'a.ts');
    const b = join(src, 'b.ts');
    const c = join(src, 'c.ts');
    const fake = new Map([
      [a, [c, b]],
      [b, [a]],
      [c, []],
    ]);
    const imports = (file: string) => fake.get(file) ?? [];
    expect(findCycle(a, imports)?.map((f) => relative(src, f))).toEqual(['a.ts', 'b.ts', 'a.ts']);
    fake.set(b, []);
    expect(findCycle(a, imports)).toBeUndefined();
  });
});
