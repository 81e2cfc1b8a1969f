import type { FlagSpecs } from './args.js';
import type { Command } from './command.js';

/** `--help` of one command: usage, description, flags, examples. */
export function commandHelp(command: Command): string {
  return [
    `Usage: ${command.usage}`,
    '',
    command.description,
    '',
    'Options:',
    ...flagLines(command.flags),
    '',
    'Examples:',
    ...command.examples.map((example) => `  ${example}`),
  ].join('\n');
}

function flagLines(flags: FlagSpecs): string[] {
  const entries = Object.entries(flags).map(([name, spec]) => {
    const left = `${spec.short ? `-${spec.short}, ` : '    '}--${name}${spec.value ? ` ${spec.value}` : ''}`;
    const right = `${spec.description}${spec.default === undefined ? '' : ` (default: ${spec.default})`}`;
    return [left, right] as const;
  });
  const width = Math.max(...entries.map(([left]) => left.length));
  return entries.map(([left, right]) => wrap(`  ${left.padEnd(width)}  `, right));
}

/** Wrap `text` at 100 columns, continuation lines aligned under its start. */
function wrap(lead: string, text: string, columns = 100): string {
  const room = Math.max(30, columns - lead.length);
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > room) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  lines.push(line);
  return lines.map((l, i) => (i === 0 ? lead : ' '.repeat(lead.length)) + l).join('\n');
}

/** `worker-pool --help`: what the tool is, its commands, where configuration comes from. */
export function mainHelp(commands: readonly Command[], version: string): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    `worker-pool ${version}: run and operate redis-worker-pool queues.`,
    '',
    'Usage: worker-pool <command> [options]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run `worker-pool <command> --help` for the options and examples of a command.',
    '',
    'Every command finds Redis in --redis-url, else REDIS_URL, else REDIS_PUBLIC_URL (Railway),',
    'else redis://127.0.0.1:6379, and works on the queue named by --queue (default: pages).',
    '`run` also reads CONCURRENT_WORKERS (or MAX_WORKERS), PROCESSING_DELAY, GENERATION_TIMEOUT,',
    'POLL_INTERVAL and MAX_RETRIES; its flags override them.',
    '',
    'Exit codes: 0 done; 1 failed (Redis unreachable, no such job, handler module not loadable);',
    '2 bad command line or configuration.',
    '',
    'Quick start:',
    '  worker-pool run --handler ./handlers.js     start a pool (stop it with Ctrl+C)',
    '  worker-pool status --watch                  follow the queue from another terminal',
    '  worker-pool jobs failed                     see what failed, and why',
    '  worker-pool retry --all-failed              send every failed job back to the queue',
  ].join('\n');
}
