/**
 * The figures of `--peers`: each system's values per figure, and the report
 * of one run (medians, the ratios this library ÷ each peer, the goals).
 */
import { format, median } from './support.js';

export const SYSTEMS = ['redis-worker-pool', 'bullmq', 'bee-queue'] as const;
export type System = (typeof SYSTEMS)[number];
export type Peer = Exclude<System, 'redis-worker-pool'>;
export const PEERS: Peer[] = ['bullmq', 'bee-queue'];
export const NAMES: Record<System, string> = {
  'redis-worker-pool': 'this library',
  bullmq: 'BullMQ',
  'bee-queue': 'Bee-Queue',
};

export type Better = 'higher' | 'lower';
export interface PeerFigure {
  case: string;
  metric: string;
  unit: string;
  better: Better;
  /** The goal, as this library's median ÷ the peer's. */
  goal?: Partial<Record<Peer, number>>;
  values: Record<System, number[]>;
}

/** `record(system, case, metric, unit, better, value, goal?)`: one value of one run, into `figures`. */
export function recorder(figures: PeerFigure[]) {
  return function record(
    system: System,
    caseName: string,
    metric: string,
    unit: string,
    better: Better,
    value: number,
    goal?: Partial<Record<Peer, number>>,
  ): void {
    let f = figures.find((x) => x.case === caseName && x.metric === metric);
    if (!f) {
      f = {
        case: caseName,
        metric,
        unit,
        better,
        goal,
        values: { 'redis-worker-pool': [], bullmq: [], 'bee-queue': [] },
      };
      figures.push(f);
    }
    f.values[system].push(value);
  };
}

function ratioText(ratio: number): string {
  return Number.isFinite(ratio) ? `${ratio.toFixed(2)}×` : 'n/a';
}

function goalText(f: PeerFigure): { goal: string; met: string } {
  if (!f.goal) return { goal: '', met: '' };
  const sign = f.better === 'higher' ? '≥' : '≤';
  const ours = median(f.values['redis-worker-pool']);
  const parts: string[] = [];
  const met: string[] = [];
  for (const peer of PEERS) {
    const goal = f.goal[peer];
    if (goal === undefined) continue;
    parts.push(`${sign} ${goal}× ${NAMES[peer]}`);
    const ratio = ours / median(f.values[peer]);
    const ok = f.better === 'higher' ? ratio >= goal : ratio <= goal;
    met.push(Number.isFinite(ratio) ? (ok ? 'yes' : 'no') : 'n/a');
  }
  return { goal: parts.join(', '), met: met.join(', ') };
}

export function printPeerReport(
  figures: PeerFigure[],
  versions: Record<Peer, string>,
  failures: string[],
): void {
  const head = [
    'case',
    'figure',
    'unit',
    'better',
    NAMES['redis-worker-pool'],
    `BullMQ ${versions.bullmq}`,
    `Bee-Queue ${versions['bee-queue']}`,
    'ours ÷ BullMQ',
    'ours ÷ Bee-Queue',
    'goal (ours ÷ peer)',
    'met',
  ];
  console.log(
    '\n# Medians of the same run, and their ratios: this library ÷ the peer. Where higher is' +
      '\n# better (throughput, efficiency) a ratio above 1 is this library ahead; where lower is' +
      '\n# better (latency, commands, CPU) a ratio below 1 is this library ahead.\n',
  );
  console.log(`| ${head.join(' | ')} |`);
  console.log(`|${head.map(() => '---').join('|')}|`);
  for (const f of figures) {
    const ours = median(f.values['redis-worker-pool']);
    const { goal, met } = goalText(f);
    console.log(
      `| ${[
        f.case,
        f.metric,
        f.unit,
        f.better,
        ...SYSTEMS.map((s) => format(median(f.values[s]), f.unit)),
        ...PEERS.map((p) => ratioText(ours / median(f.values[p]))),
        goal,
        met,
      ].join(' | ')} |`,
    );
  }
  console.log('');
  for (const f of figures) {
    const ours = median(f.values['redis-worker-pool']);
    for (const system of SYSTEMS) {
      const values = f.values[system];
      console.log(
        JSON.stringify({
          case: f.case,
          figure: f.metric,
          unit: f.unit,
          system,
          version: system === 'redis-worker-pool' ? undefined : versions[system],
          better: f.better,
          median: median(values),
          min: Math.min(...values),
          max: Math.max(...values),
          runs: values,
          ratio: system === 'redis-worker-pool' ? undefined : ours / median(values),
        }),
      );
    }
  }
  if (failures.length) {
    console.error(
      `\n!!! ${failures.length} EXACTLY-ONCE CHECK(S) FAILED: the figures above do not count`,
    );
    for (const f of failures) console.error(`!!!   ${f}`);
  } else {
    console.log('\n# exactly-once: every job of every case ran once, on every system');
  }
}
