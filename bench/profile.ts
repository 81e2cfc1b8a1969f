/**
 * `npm run bench -- --profile`: where a pool's CPU per job goes.
 *
 * Runs the no-op concurrency-50 drain with the pool child under
 * `node --cpu-prof`, keeps the samples taken between the end of the warm-up
 * and the last job (the profile's clock is the monotonic clock this process
 * reads too), and prints the self time by function: the top 25, with the
 * TypeScript file and line through the build's source map, and a sum by file.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, existsSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { closeChild, escapeText, exited, spawnChild, type RedisProbe } from './support.js';

const root = resolve(import.meta.dirname, '..');
const children = join(import.meta.dirname, 'children');
/** Sampling interval in µs: Node's default (1000) gives too few samples for a 1-second drain. */
const INTERVAL_US = 100;
const TOP = 25;

export interface ProfileOptions {
  url: string;
  probe: RedisProbe;
  jobs: number;
  warmup: number;
}

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface CpuProfile {
  nodes: { id: number; callFrame: CallFrame }[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

export async function runProfile(o: ProfileOptions): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'rwp-cpu-prof-'));
  await o.probe.client.flushdb();
  const prefix = 'profile';
  const producer = spawnChild(join(children, 'producer.mjs'), {
    url: o.url,
    prefix,
    queue: 'q',
    jobs: o.warmup + o.jobs,
    mode: 'bulk',
    payloadBytes: 200,
  });
  await producer.next('added');
  await exited(producer);

  const pool = spawnChild(
    join(children, 'pool.mjs'),
    {
      url: o.url,
      prefix,
      queue: 'q',
      concurrency: 50,
      expect: o.jobs,
      warmup: o.warmup,
      handler: 'noop',
    },
    ['--cpu-prof', '--cpu-prof-dir', dir, '--cpu-prof-interval', String(INTERVAL_US)],
  );
  await pool.next('ready');
  await pool.next('warm');
  const from = Number(process.hrtime.bigint() / 1000n);
  const threadFrom = mainThreadCpuUs(pool.child.pid!);
  const done = await pool.next('done');
  const to = Number(process.hrtime.bigint() / 1000n);
  const threadTo = mainThreadCpuUs(pool.child.pid!);
  await closeChild(pool); // the profile is written as the child exits

  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error(`node --cpu-prof wrote no profile in ${dir}`);
  const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile;
  const threadUs =
    threadFrom !== undefined && threadTo !== undefined ? threadTo - threadFrom : undefined;
  printSummary(profile, from, to, o.jobs, done.cpuUs as number, threadUs, join(dir, file));
}

/**
 * CPU time of a process's main thread, from /proc (Linux; undefined elsewhere).
 * The samples' own spans are wall time: on a loaded machine they also hold the
 * time the thread waited for a core, so µs per job are scaled to this instead.
 */
function mainThreadCpuUs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8');
    // After "pid (name) ", fields start at the state (field 3); utime and stime are 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / clockTicks();
  } catch {
    return undefined; // no /proc here: the table falls back to the samples' spans
  }
}

let ticks: number | undefined;
function clockTicks(): number {
  ticks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  return ticks;
}

interface Row {
  name: string;
  where: string;
  file: string;
  selfUs: number;
}

function printSummary(
  profile: CpuProfile,
  from: number,
  to: number,
  jobs: number,
  cpuUs: number,
  threadUs: number | undefined,
  path: string,
): void {
  const byNode = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const selfByNode = new Map<number, number>();
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i]!;
    if (t < from || t > to) continue;
    // A sample stands for the time until the next one.
    const span = profile.timeDeltas[i + 1] ?? INTERVAL_US;
    const id = profile.samples[i]!;
    selfByNode.set(id, (selfByNode.get(id) ?? 0) + span);
  }
  const locate = locator();
  const rows = new Map<string, Row>();
  let busyUs = 0;
  let idleUs = 0;
  for (const [id, us] of selfByNode) {
    const frame = byNode.get(id)!;
    if (frame.functionName === '(idle)') {
      idleUs += us;
      continue;
    }
    busyUs += us;
    const { where, file } = locate(frame);
    const name = frame.functionName || '(anonymous)';
    const key = `${name}\u0000${where}`;
    const row = rows.get(key) ?? { name, where, file, selfUs: 0 };
    row.selfUs += us;
    rows.set(key, row);
  }
  const sorted = [...rows.values()].sort((a, b) => b.selfUs - a.selfUs);
  const pct = (us: number) => `${((100 * us) / busyUs).toFixed(1)} %`;
  // A function's share of the samples, times the main thread's CPU when known.
  const scale = threadUs !== undefined && threadUs > 0 ? threadUs / busyUs : 1;
  const perJob = (us: number) => ((us * scale) / jobs).toFixed(2);

  const cpu = (us: number) => `${(us / jobs).toFixed(2)} µs/job`;
  console.log(
    `\n# --profile: no-op jobs at concurrency 50, ${jobs.toLocaleString('en-US')} jobs after the warm-up,` +
      ` sampled every ${INTERVAL_US} µs` +
      `\n# CPU of the pool's main thread: ${threadUs === undefined ? 'n/a (no /proc)' : cpu(threadUs)};` +
      ` of its process (every thread, the sampler's too): ${cpu(cpuUs)}` +
      `\n# idle ${((100 * idleUs) / (busyUs + idleUs)).toFixed(0)} % of the drain's samples;` +
      ` self %: share of the main thread's busy samples;` +
      ` µs/job: that share of ${threadUs === undefined ? "the samples' spans" : "the main thread's CPU"}` +
      `\n# the profile, for Chrome DevTools (Performance) or VS Code: ${escapeText(path)}\n`,
  );
  console.log(`| # | self % | µs/job | function | where |`);
  console.log('|---|---|---|---|---|');
  sorted.slice(0, TOP).forEach((r, i) => {
    console.log(
      `| ${i + 1} | ${pct(r.selfUs)} | ${perJob(r.selfUs)} | ${escapeText(r.name)} | ${escapeText(r.where)} |`,
    );
  });

  const byFile = new Map<string, number>();
  for (const r of sorted) byFile.set(r.file, (byFile.get(r.file) ?? 0) + r.selfUs);
  console.log(`\n| self % | µs/job | file |`);
  console.log('|---|---|---|');
  for (const [file, us] of [...byFile].sort((a, b) => b[1] - a[1]).slice(0, 15))
    console.log(`| ${pct(us)} | ${perJob(us)} | ${escapeText(file)} |`);
}

/**
 * `file:line` of a call frame: through the source map for the built package
 * (so `src/claim-loop.ts:120`, not a line of dist/index.js), relative to the
 * repository for other files, as is for Node's own (`node:internal/...`).
 */
function locator(): (frame: CallFrame) => { where: string; file: string } {
  const maps = new Map<string, SourceMap | undefined>();
  const mapOf = (path: string) => {
    if (!maps.has(path)) {
      const mapFile = `${path}.map`;
      maps.set(
        path,
        existsSync(mapFile)
          ? new SourceMap(JSON.parse(readFileSync(mapFile, 'utf8')) as never)
          : undefined,
      );
    }
    return maps.get(path);
  };
  return (frame) => {
    if (!frame.url) return { where: '(native or V8)', file: '(native or V8)' };
    if (!frame.url.startsWith('file:')) {
      return { where: `${frame.url}:${frame.lineNumber + 1}`, file: frame.url };
    }
    const path = fileURLToPath(frame.url);
    const map = mapOf(path);
    const entry = map?.findEntry(frame.lineNumber, frame.columnNumber) as
      { originalSource?: string; originalLine?: number } | undefined;
    if (entry?.originalSource && entry.originalLine !== undefined) {
      const source = entry.originalSource.startsWith('file:')
        ? fileURLToPath(entry.originalSource)
        : resolve(dirname(path), entry.originalSource);
      const file = relative(root, source);
      return { where: `${file}:${entry.originalLine + 1}`, file };
    }
    const file = relative(root, path);
    return { where: `${file}:${frame.lineNumber + 1}`, file };
  };
}
