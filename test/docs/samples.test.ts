/**
 * Every ```ts sample of README.md and docs/ is type-checked against the
 * library's source, so the docs cannot drift from the API.
 *
 * Each sample becomes a module of its own in a temporary folder under
 * test/docs/ (inside what tsconfig.json covers, so `redis-worker-pool` maps to
 * src/ through its `paths`). A sample may use the library's exports without
 * importing them (the import is added, as a reader would), relative imports
 * are from the repository's root (where a reader runs them), and the few names
 * the docs take as given (`connection`, `Jobs`, `handlers`, ...) are declared
 * in samples-prelude.d.ts. One `tsc --noEmit` checks them all; its errors are
 * reported against the Markdown file and line.
 */
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { basename, join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');

interface Sample {
  /** `docs/guide.md:42`: where the code starts. */
  readonly where: string;
  readonly doc: string;
  readonly line: number;
  readonly code: string;
}

function markdownFiles(): string[] {
  const docs = readdirSync(join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => join('docs', f));
  return ['README.md', ...docs.sort()];
}

/** The ```ts / ```typescript blocks of a Markdown file, with the line their code starts on. */
function extractSamples(doc: string, text: string): Sample[] {
  const samples: Sample[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```(ts|typescript)\s*$/.exec(lines[i]!);
    if (!open) continue;
    const indent = open[1]!.length;
    const start = i + 1;
    let end = start;
    while (end < lines.length && !/^\s*```\s*$/.test(lines[end]!)) end++;
    samples.push({
      where: `${doc}:${start + 1}`,
      doc,
      line: start + 1,
      code: lines
        .slice(start, end)
        .map((l) => l.slice(Math.min(indent, l.length - l.trimStart().length)))
        .join('\n'),
    });
    i = end;
  }
  return samples;
}

/** The names a module exports, split into values and types (`export type {...}`). */
function exportsOf(file: string): { values: string[]; types: string[] } {
  const source = readFileSync(join(root, file), 'utf8');
  const values: string[] = [];
  const types: string[] = [];
  for (const [, isType, list] of source.matchAll(/export (type )?\{([^}]*)\}/g)) {
    for (const name of list!
      .split(',')
      .map((n) => n.trim())
      .filter(Boolean))
      (isType ? types : values).push(name.replace(/^type /, ''));
  }
  for (const [, kind, name] of source.matchAll(
    /^export (?:declare )?(class|function|const|interface|type) (\w+)/gm,
  ))
    (kind === 'interface' || kind === 'type' ? types : values).push(name!);
  return { values, types };
}

const MODULES = [
  { specifier: 'redis-worker-pool', ...exportsOf('src/index.ts') },
  { specifier: 'redis-worker-pool/metrics', ...exportsOf('src/metrics.ts') },
];

/**
 * Add the imports a reader would take for granted (library names used but not
 * imported or declared), and point relative imports, which the docs write from
 * the repository's root (`./examples/ebook/ebook.js`), at the root from `dir`.
 */
function withImports(code: string, dir: string): { header: string[]; body: string } {
  const declared = (name: string) =>
    new RegExp(
      `\\b(?:class|interface|type|const|let|var|function|enum)\\s+${name}\\b|import[^;]*\\b${name}\\b[^;]*from`,
    ).test(code);
  const header: string[] = [];
  for (const { specifier, values, types } of MODULES) {
    const used = (name: string) => new RegExp(`\\b${name}\\b`).test(code) && !declared(name);
    const names = [...values.filter(used), ...types.filter(used).map((n) => `type ${n}`)];
    if (names.length > 0) header.push(`import { ${names.join(', ')} } from '${specifier}';`);
  }
  header.push('export {};');
  const body = code.replace(
    /(from\s+|import\s*\(\s*)(['"])(\.\.?\/[^'"]+)\2/g,
    (_, lead, quote, path) => {
      const target = relative(dir, join(root, path)).split('\\').join('/');
      return `${lead}${quote}${target.startsWith('.') ? target : `./${target}`}${quote}`;
    },
  );
  return { header, body };
}

describe('code samples in README.md and docs/', () => {
  const samples = markdownFiles()
    .flatMap((doc) => extractSamples(doc, readFileSync(join(root, doc), 'utf8')))
    // The files of getting-started.md (`// src/handlers.ts`) import each other: they are
    // type-checked together, as the project the page builds, by getting-started.test.ts.
    .filter((s) => !(s.doc.endsWith('getting-started.md') && /^\/\/ src\//.test(s.code)));
  const errors = new Map<string, string[]>();
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(root, 'test', 'docs', 'tmp-samples-'));
    copyFileSync(join(import.meta.dirname, 'samples-prelude.d.ts'), join(dir, 'prelude.d.ts'));
    const files = new Map<string, { sample: Sample; offset: number }>();
    samples.forEach((sample, index) => {
      const name = `${String(index).padStart(3, '0')}-${basename(sample.doc, '.md')}-L${sample.line}.ts`;
      const { header, body } = withImports(sample.code, dir);
      writeFileSync(join(dir, name), `${header.join('\n')}\n${body}\n`);
      files.set(name, { sample, offset: header.length });
      errors.set(sample.where, []);
    });
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        extends: relative(dir, join(root, 'tsconfig.json')),
        compilerOptions: { noEmit: true },
        include: [],
        // src/lua.d.ts types the Lua imports of the library's source, reached through `paths`.
        files: [relative(dir, join(root, 'src', 'lua.d.ts')), 'prelude.d.ts', ...files.keys()],
      }),
    );
    let output = '';
    try {
      execFileSync(
        process.execPath,
        [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir, '--pretty', 'false'],
        { cwd: root, encoding: 'utf8', stdio: 'pipe' },
      );
    } catch (error) {
      output = String((error as { stdout?: string }).stdout ?? error);
    }
    for (const line of output.split('\n')) {
      const match = /([^/\\(]+\.ts)\((\d+),(\d+)\): (error .*)$/.exec(line);
      if (!match) continue;
      const file = files.get(match[1]!);
      if (!file) {
        errors.set('(outside the samples)', [...(errors.get('(outside the samples)') ?? []), line]);
        continue;
      }
      const docLine = file.sample.line + Number(match[2]) - 1 - file.offset;
      errors.get(file.sample.where)!.push(`${file.sample.doc}:${docLine}:${match[3]} ${match[4]}`);
    }
  }, 120_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('finds the samples (README and every docs page with code)', () => {
    expect(samples.length).toBeGreaterThan(20);
    expect(samples.some((s) => s.doc === 'README.md')).toBe(true);
  });

  it.each(samples.map((s) => [s.where, s] as const))('%s compiles', (where) => {
    expect(errors.get(where)).toEqual([]);
  });

  it('leaves no error outside the samples (the prelude compiles)', () => {
    expect(errors.get('(outside the samples)') ?? []).toEqual([]);
  });
});
