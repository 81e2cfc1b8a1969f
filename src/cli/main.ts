/**
 * `worker-pool`: run a pool from the command line and operate its queue.
 * Built by tsup to dist/cli.js with a `#!/usr/bin/env node` banner.
 */
import { createRequire } from 'node:module';
import { closest, helpHint, parseCommandArgs } from './args.js';
import { CliError, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, UsageError } from './cli-error.js';
import { COMMANDS } from './commands/index.js';
import { commandHelp, mainHelp } from './help.js';
import { escapedIo, processIo, type Io } from './io.js';
import { optionError } from './option-errors.js';

/** Run the command line `argv` (without `node` and the script); resolve with the exit code. */
export async function main(argv: readonly string[], rawIo: Io): Promise<number> {
  // Every line printed goes through here: nothing read from Redis drives the terminal.
  const io = escapedIo(rawIo);
  const [first, ...rest] = argv;
  if (first === undefined) {
    io.err(mainHelp(COMMANDS, version()));
    return EXIT_USAGE;
  }
  if (first === '--help' || first === '-h') {
    io.out(mainHelp(COMMANDS, version()));
    return EXIT_OK;
  }
  if (first === '--version' || first === '-v') {
    io.out(version());
    return EXIT_OK;
  }
  try {
    if (first === 'help') {
      const about = rest[0] === undefined ? undefined : findCommand(rest[0]);
      io.out(about ? commandHelp(about) : mainHelp(COMMANDS, version()));
      return EXIT_OK;
    }
    const command = findCommand(first);
    // Help wins over everything else on the line, so `run --help` needs no --handler.
    if (rest.includes('--help') || rest.includes('-h')) {
      io.out(commandHelp(command));
      return EXIT_OK;
    }
    const args = parseCommandArgs(command.name, command.flags, rest, {
      positionals: command.positionals,
    });
    return await command.run(args, io);
  } catch (thrown) {
    const error = optionError(thrown);
    if (error instanceof CliError) {
      io.err(`worker-pool: ${error.message}`);
      if (error.hint) io.err(error.hint);
      return error.exitCode;
    }
    io.err(`worker-pool: unexpected error: ${(error as Error)?.stack ?? String(error)}`);
    return EXIT_FAILURE;
  }
}

function findCommand(name: string) {
  const command = COMMANDS.find((c) => c.name === name);
  if (command) return command;
  const guess = closest(
    name,
    COMMANDS.map((c) => c.name),
  );
  throw new UsageError(
    `Unknown command \`${name}\`${guess ? `; did you mean \`${guess}\`?` : ''}`,
    helpHint(),
  );
}

function version(): string {
  // dist/cli.js -> the package's own package.json, shipped with it.
  const pkg = createRequire(import.meta.url)('../package.json') as { version: string };
  return pkg.version;
}

/** Wait until everything written so far has left the process, then exit. */
async function exit(code: number): Promise<never> {
  await new Promise((resolve) => process.stdout.write('', resolve));
  await new Promise((resolve) => process.stderr.write('', resolve));
  // Exit explicitly: a handler module may hold connections open (a database, keep-alive sockets).
  process.exit(code);
}

await exit(await main(process.argv.slice(2), processIo()));
