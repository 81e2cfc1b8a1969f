import { parseArgs } from 'node:util';
import { UsageError } from './cli-error.js';

/** One flag of a command: how node:util `parseArgs` reads it, and how `--help` shows it. */
export interface FlagSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  /** The value's placeholder in help, e.g. `<name>`. */
  readonly value?: string;
  readonly description: string;
  /** Shown in help as `(default: ...)`. */
  readonly default?: string;
}

export type FlagSpecs = Readonly<Record<string, FlagSpec>>;

export interface ParsedArgs {
  readonly values: Readonly<Record<string, string | boolean | undefined>>;
  readonly positionals: readonly string[];
}

/**
 * Parse a command's arguments strictly: an unknown flag, a flag without its
 * value or a value given to a boolean flag is a `UsageError` that names the
 * flag, suggests a near spelling and points to `--help`.
 */
export function parseCommandArgs(
  command: string,
  specs: FlagSpecs,
  argv: readonly string[],
  { positionals = false }: { positionals?: boolean } = {},
): ParsedArgs {
  const options = Object.fromEntries(
    Object.entries(specs).map(([name, spec]) => [
      name,
      spec.short ? { type: spec.type, short: spec.short } : { type: spec.type },
    ]),
  );
  try {
    const { values, positionals: rest } = parseArgs({
      args: [...argv],
      options,
      strict: true,
      allowPositionals: positionals,
    });
    for (const [name, spec] of Object.entries(specs)) {
      const value = values[name];
      // `--queue=` or `--queue ""`: an empty value is never meant.
      if (spec.type === 'string' && value === '') {
        throw new UsageError(
          `--${name} needs a value ${spec.value ?? ''}`.trim(),
          helpHint(command),
        );
      }
    }
    return { values: values as ParsedArgs['values'], positionals: rest };
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw toUsageError(command, specs, error);
  }
}

function toUsageError(command: string, specs: FlagSpecs, error: unknown): UsageError {
  const code = (error as { code?: string }).code;
  const message = error instanceof Error ? error.message : String(error);
  // parseArgs quotes the flag: '--concurency', '-x', '-n, --limit <value>'.
  const flag = /'(?:-\w, )?(-{1,2}[^' =,]+)/.exec(message)?.[1];
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && flag) {
    const suggestion = closest(flag.replace(/^-+/, ''), Object.keys(specs));
    return new UsageError(
      `Unknown flag ${flag} for \`worker-pool ${command}\`${suggestion ? `; did you mean --${suggestion}?` : ''}`,
      helpHint(command),
    );
  }
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && flag) {
    const spec = specs[flag.replace(/^-+/, '')] ?? shortSpec(specs, flag);
    return new UsageError(
      spec?.type === 'boolean'
        ? `${flag} takes no value`
        : `${flag} needs a value${spec?.value ? ` ${spec.value}` : ''}`,
      helpHint(command),
    );
  }
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
    const extra = /'([^']*)'/.exec(message)?.[1];
    return new UsageError(
      `\`worker-pool ${command}\` takes no argument${extra === undefined ? '' : ` (got \`${extra}\`)`}`,
      helpHint(command),
    );
  }
  return new UsageError(message, helpHint(command));
}

function shortSpec(specs: FlagSpecs, flag: string): FlagSpec | undefined {
  return Object.values(specs).find((spec) => spec.short && `-${spec.short}` === flag);
}

export function helpHint(command?: string): string {
  return `Run \`worker-pool ${command ? `${command} ` : ''}--help\` for usage.`;
}

/** The known name nearest to `typed`, if it is a plausible typo (edit distance <= 2). */
export function closest(typed: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const name of known) {
    const d = distance(typed, name);
    if (d < bestDistance) {
      best = name;
      bestDistance = d;
    }
  }
  return best;
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length]!;
}

/** A string flag's value, or `undefined` when it was not given. */
export function stringFlag(args: ParsedArgs, name: string): string | undefined {
  const value = args.values[name];
  return typeof value === 'string' ? value : undefined;
}

export function booleanFlag(args: ParsedArgs, name: string): boolean {
  return args.values[name] === true;
}

/**
 * An integer flag, or `undefined` when it was not given. Only the form is
 * checked here (and `min`/`max` when given): ranges of pool options are
 * checked by the library, whose errors are reported under the flag's name.
 */
export function integerFlag(
  args: ParsedArgs,
  name: string,
  { min, max }: { min?: number; max?: number } = {},
): number | undefined {
  const raw = stringFlag(args, name);
  if (raw === undefined) return undefined;
  const bounds =
    min !== undefined && max !== undefined
      ? ` from ${min} to ${max}`
      : min !== undefined
        ? ` >= ${min}`
        : '';
  const value = /^[+-]?\d+$/.test(raw.trim()) ? Number(raw.trim()) : Number.NaN;
  if (
    !Number.isSafeInteger(value) ||
    (min !== undefined && value < min) ||
    (max !== undefined && value > max)
  ) {
    throw new UsageError(`Expected \`--${name}\` to be an integer${bounds}, got \`${raw}\``);
  }
  return value;
}

/** `50/60000`, `50/60s`, `5/1m`: at most `max` jobs start per `duration` ms. */
export function parseRateLimit(value: string): { max: number; duration: number } {
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*(ms|s|m)?\s*$/.exec(value);
  if (!match) {
    throw new UsageError(
      `Expected \`--rate-limit\` to be <max>/<duration>, e.g. 50/60s or 50/60000 (ms), got \`${value}\``,
    );
  }
  const unit = { ms: 1, s: 1000, m: 60_000 }[match[3] ?? 'ms'] ?? 1;
  return { max: Number(match[1]), duration: Number(match[2]) * unit };
}
