import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { redisUrlFromEnv } from '../../src/env.js';
import { Queue } from '../../src/index.js';

const docs = (name: string) =>
  readFileSync(join(import.meta.dirname, '..', '..', 'docs', name), 'utf8').replace(/\s+/g, ' ');

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected a throw');
}

describe('error messages quoted in the docs are the ones the code gives', () => {
  it('a bad REDIS_URL (docs/options.md)', () => {
    const message = messageOf(() => redisUrlFromEnv({ REDIS_URL: 'http://admin:pw@example.com' }));
    expect(docs('options.md')).toContain(`\`\`${message}\`\``);
  });

  it('job data JSON cannot store (docs/guide.md)', async () => {
    // Refused before anything is sent, so no Redis is needed (port 1 answers nothing).
    const queue = new Queue('pages', { connection: 'redis://127.0.0.1:1', logger: false });
    try {
      const error = await queue.add('page', { pages: [1, 2, 3, 4n] }).then(
        () => undefined,
        (thrown: unknown) => thrown as Error,
      );
      expect(error?.name).toBe('SerializationError');
      expect(docs('guide.md')).toContain(`\`\`${error!.message}\`\``);
    } finally {
      await queue.close();
    }
  });
});
