import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');

/** `npm pack` this package into `dir` (as a user's `npm install` would get it); returns the tarball's file name. */
export function packPackage(dir: string): string {
  return execFileSync('npm', ['pack', '--silent', '--pack-destination', dir], {
    cwd: root,
    encoding: 'utf8',
  })
    .trim()
    .split('\n')
    .pop()!;
}
