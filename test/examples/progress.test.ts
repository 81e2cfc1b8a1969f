import { afterEach, describe, expect, it } from 'vitest';
import type { BatchProgress } from 'redis-worker-pool';
import { createProgressDisplay, type ProgressDisplay } from '../../examples/ebook/progress.js';

const progress = (completed: number, total = 5, done = false): BatchProgress => ({
  id: 'e1',
  total,
  completed,
  failed: 0,
  pending: total - completed,
  done,
  createdAt: 0,
});

describe('the runner progress bar', () => {
  let display: ProgressDisplay | undefined;
  afterEach(() => display?.stop());

  function terminal() {
    let written = '';
    let t = 1_000_000;
    display = createProgressDisplay({
      stream: { write: (chunk: string) => (written += chunk), isTTY: true, columns: 200 },
      now: () => t,
    });
    return {
      display,
      /** The line the bar shows now (the text after the last clear-line). */
      line: () => written.split('\r\x1b[2K').at(-1) ?? '',
      /** Everything written so far. */
      all: () => written,
      advance: (ms: number) => (t += ms),
    };
  }

  it('shows the pages being written with their characters so far, until each is done', () => {
    const { display, line, advance } = terminal();
    display.update(progress(1));
    expect(line()).not.toMatch(/writing/);
    advance(200);
    display.writing(2, { chars: 640, text: '...' });
    advance(200);
    display.writing(0, { chars: 1204, text: '...' });
    expect(line()).toMatch(/1\/5 pages .*\| writing #1 1204 ch, #3 640 ch$/);
    advance(200);
    display.writing(0, { chars: 1500, text: '...', done: true });
    advance(200);
    display.update(progress(2));
    expect(line()).toMatch(/2\/5 pages .*\| writing #3 640 ch$/);
  });

  it('drops a page that went quiet (it failed mid-way), and shows at most three', () => {
    const { display, line, advance } = terminal();
    display.update(progress(0));
    for (const index of [0, 1, 2, 3]) display.writing(index, { chars: 10 * (index + 1) });
    advance(200);
    display.update(progress(0));
    expect(line()).toMatch(/writing #1 10 ch, #2 20 ch, #3 30 ch \+1$/);
    advance(10_000);
    display.writing(3, { chars: 99 });
    advance(6_000);
    display.update(progress(0));
    expect(line()).toMatch(/\| writing #4 99 ch$/);
  });

  it('prints plain lines off a terminal, one per finished page, without the pages being written', () => {
    let written = '';
    display = createProgressDisplay({ stream: { write: (c: string) => (written += c) } });
    display.update(progress(1));
    display.writing(1, { chars: 300 });
    display.writing(2, { chars: 200 });
    display.update(progress(2));
    expect(written.trim().split('\n')).toEqual([
      expect.stringMatching(/^\[Progress\] 1\/5 pages \| 0 failed/),
      expect.stringMatching(/^\[Progress\] 2\/5 pages \| 0 failed/),
    ]);
  });

  it("prints the pool's log lines with their [Worker-N] prefix, and hides per-job lines on a terminal", () => {
    let written = '';
    display = createProgressDisplay({ stream: { write: (c: string) => (written += c) } });
    const plain = display.logger();
    plain.info('Processing job: ID=1, Name=page (Attempt 1/4)', { workerId: 2, jobId: '1' });
    plain.warn('Closed.', { scope: 'Worker Pool' });
    expect(written).toBe(
      '[Worker-2] Processing job: ID=1, Name=page (Attempt 1/4)\n[Worker Pool] Closed.\n',
    );
    display.stop();
    const { display: bar, all } = terminal();
    bar.update(progress(0));
    bar.logger().info('Processing job: ID=1, Name=page (Attempt 1/4)', { workerId: 2 });
    bar.logger().info('Retrying job 1', { workerId: 2 });
    expect(all()).toContain('[Worker-2] Retrying job 1\n');
    expect(all()).not.toContain('Processing job');
    // With --verbose, the per-job lines show too.
    bar.logger(true).info('Processing job: ID=1, Name=page (Attempt 1/4)', { workerId: 2 });
    expect(all()).toContain('[Worker-2] Processing job: ID=1');
  });
});
