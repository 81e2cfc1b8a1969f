import { describe, expect, it } from 'vitest';
import { UnrecoverableError, type AnyJob, type HandlerContext } from '../../src/index.js';
import { runCli } from '../support/cli.js';
import { useHarness } from '../support/harness.js';
import { redisUrl, until } from '../support/redis.js';

type Jobs = { page: { data: { hang?: boolean }; result: string } };

const h = useHarness('cli-esc');

// What an attacker who may add jobs (or whose text reaches an error message) would try.
const OSC52 = '\u001b]52;c;b3duZWQ=\u0007'; // write "owned" to the clipboard
const CLEAR = '\u001b[2J\u001b[H'; // clear the screen
const C1_CSI = '\u009b31m'; // 8-bit CSI
const TITLE = '\u001b]0;pwned\u009c'; // set the window title, ended by an 8-bit ST
const CR = 'fake\r';

/** Any control character a terminal would act on (\n and \t are fine). */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

const cli = (...args: string[]) =>
  runCli([...args, '--queue', 'pages', '--prefix', h.prefix, '--redis-url', redisUrl()]);

describe('the CLI prints control characters from jobs escaped', () => {
  it('in status, jobs, retry, remove and error lines; --json stays parseable', async () => {
    const queue = h.queue<Jobs>('pages');
    const pool = h.pool<Jobs>(
      async (job: AnyJob<Jobs>, { signal }: HandlerContext) => {
        if (job.data.hang) {
          await new Promise((_, reject) =>
            signal.addEventListener('abort', () => reject(signal.reason)),
          );
        }
        throw new UnrecoverableError(`model said ${OSC52}${CLEAR}`);
      },
      { concurrency: 2 },
      'pages',
    );
    await pool.start();
    const failedId = `job-${OSC52}${C1_CSI}`;
    await queue.add('page', {}, { jobId: failedId });
    await until(async () => (await queue.getCounts()).failed === 1, 'the job to fail');
    await queue.add('page', { hang: true }, { jobId: `active-${TITLE}${CR}` });
    await until(async () => (await queue.getCounts()).active === 1, 'the job to run');

    const outputs: Record<string, string> = {};
    const run = async (label: string, args: string[], expected: number) => {
      const { code, stdout, stderr } = await cli(...args);
      outputs[label] = stdout + stderr;
      expect(code, `${label}: ${stderr}`).toBe(expected);
      return stdout;
    };
    await run('status', ['status'], 0);
    await run('jobs failed', ['jobs', 'failed'], 0);
    await run('jobs active', ['jobs', 'active'], 0);
    const json = await run('jobs failed --json', ['jobs', 'failed', '--json'], 0);
    await run('retry missing', ['retry', `nope-${CLEAR}`], 1);
    await run('remove missing', ['remove', `nope-${OSC52}`], 1);
    await pool.close({ force: true });
    await run('retry', ['retry', failedId], 0);
    await run('remove', ['remove', failedId], 0);

    for (const [label, text] of Object.entries(outputs)) {
      expect(text, label).not.toMatch(RAW_CONTROL);
    }
    // Shown, as text, rather than dropped.
    expect(outputs['jobs failed']).toContain('job-\\u001b]52;c;b3duZWQ=\\u0007\\u009b31m');
    expect(outputs['jobs failed']).toContain('model said \\u001b]52;c;b3duZWQ=\\u0007\\u001b[2J');
    expect(outputs['jobs active']).toContain('active-\\u001b]0;pwned\\u009cfake\\u000d');
    expect(outputs.status).toContain('active-\\u001b]0;pwned\\u009cfake\\u000d');
    expect(outputs['retry missing']).toContain('nope-\\u001b[2J');
    expect(outputs['remove missing']).toContain('nope-\\u001b]52;c;b3duZWQ=\\u0007');
    expect(outputs.retry).toContain('job-\\u001b]52;c;b3duZWQ=\\u0007\\u009b31m');
    expect(outputs.remove).toContain('job-\\u001b]52;c;b3duZWQ=\\u0007\\u009b31m');
    // JSON output is still JSON, with the exact id.
    const jobs = JSON.parse(json) as { id: string; error: { message: string } }[];
    expect(jobs.map((job) => job.id)).toEqual([failedId]);
    expect(jobs[0]!.error.message).toBe(`model said ${OSC52}${CLEAR}`);
  }, 60_000);
});
