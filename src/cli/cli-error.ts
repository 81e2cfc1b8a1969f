/** The command did what was asked. */
export const EXIT_OK = 0;
/** Something failed: Redis unreachable, the handler module cannot be loaded, no such job. */
export const EXIT_FAILURE = 1;
/** The command line or the configuration is wrong: an unknown flag, a bad value, a bad environment variable. */
export const EXIT_USAGE = 2;

/**
 * An error the CLI reports as one line (`worker-pool: <message>`), with an
 * optional hint on how to fix it, and exits with `exitCode`. Anything else
 * that reaches the top is a bug and is printed with its stack.
 */
export class CliError extends Error {
  readonly exitCode: number;
  readonly hint: string | undefined;

  constructor(
    message: string,
    { exitCode = EXIT_FAILURE, hint }: { exitCode?: number; hint?: string } = {},
  ) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
    this.hint = hint;
  }
}

/** A mistake on the command line or in the environment: exit code 2. */
export class UsageError extends CliError {
  constructor(message: string, hint?: string) {
    super(message, { exitCode: EXIT_USAGE, hint });
    this.name = 'UsageError';
  }
}
