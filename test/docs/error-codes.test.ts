import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as errors from '../../src/errors.js';
import * as api from '../../src/index.js';

// Every error class's code must be in the table of docs/events-and-errors.md,
// on the row of that class: users branch on codes, so each one is a promise.

const doc = readFileSync(new URL('../../docs/events-and-errors.md', import.meta.url), 'utf8');

/** The rows of the "Error classes" table: class name → code. */
function documentedClasses(markdown: string): Map<string, string> {
  const section = markdown.split(/^## /m).find((part) => part.startsWith('Error classes'));
  if (!section) throw new Error('docs/events-and-errors.md has no "## Error classes" section');
  const rows = new Map<string, string>();
  for (const line of section.split('\n')) {
    const match = /^\|\s*`(\w+)`\s*\|\s*`'(\w+)'`\s*\|/.exec(line);
    if (match) rows.set(match[1] as string, match[2] as string);
  }
  return rows;
}

/** The exported error classes of src/errors.ts, with their static code. */
const classes = Object.entries(errors).flatMap(([name, value]) =>
  typeof value === 'function' &&
  typeof (value as { code?: unknown }).code === 'string' &&
  value.prototype instanceof Error
    ? [[name, (value as unknown as { code: string }).code] as const]
    : [],
);

describe('error codes in docs/events-and-errors.md', () => {
  const documented = documentedClasses(doc);

  it('finds the error classes and the table (this test can see what it checks)', () => {
    expect(classes.length).toBeGreaterThanOrEqual(20);
    expect(documented.size).toBeGreaterThanOrEqual(20);
  });

  it.each(classes)('documents %s with its code %s', (name, code) => {
    const row = documented.get(name);
    if (row === undefined)
      expect.fail(`${name} (code ${code}) has no row in the error table of the docs`);
    if (row !== code)
      expect.fail(`${name}: the docs say code ${row}, the class has ${code}: document ${code}`);
  });

  it('documents no class or code that does not exist', () => {
    const known = new Map(classes);
    for (const [name, code] of documented) {
      expect(known.get(name), `the docs list ${name} (${code}), which is not a class`).toBe(code);
    }
  });

  it('exports every error class from the package', () => {
    for (const [name] of classes) {
      expect(api, `${name} is not exported from src/index.ts`).toHaveProperty(name);
    }
    expect(api).toHaveProperty('isWorkerPoolError');
  });
});
