import { escapeControl } from '../terminal-text.js';

/**
 * Where a command writes. Commands never call `console` (the library's lint
 * rule) nor `process.exit`: they write here and return an exit code.
 */
export interface Io {
  readonly stdout: NodeJS.WriteStream;
  readonly stderr: NodeJS.WriteStream;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** Write a line (or lines) to stdout. */
  out(text: string): void;
  /** Write a line (or lines) to stderr. */
  err(text: string): void;
}

/**
 * `io` with every line it prints escaped (`escapeControl`): job ids, names and
 * error messages come from whoever added the job, and must not drive the
 * terminal. `stdout`/`stderr` stay raw for the cursor moves of `--watch`,
 * which escapes its lines itself.
 */
export function escapedIo(io: Io): Io {
  return {
    stdout: io.stdout,
    stderr: io.stderr,
    env: io.env,
    cwd: io.cwd,
    out: (text) => io.out(escapeControl(text)),
    err: (text) => io.err(escapeControl(text)),
  };
}

export function processIo(): Io {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
    out: (text) => void process.stdout.write(`${text}\n`),
    err: (text) => void process.stderr.write(`${text}\n`),
  };
}
