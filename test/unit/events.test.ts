import { describe, it, expect, vi } from 'vitest';
import { SafeEventEmitter } from '../../src/events.js';
import { formatLogLine, type LogFields, type Logger } from '../../src/logger.js';

type TestEvents = {
  ping: [event: { n: number }];
  error: [event: { error: Error; context: string }];
};

/** Lines as the default formatter prints them, and the fields of each call. */
function memoryLogger() {
  const lines: { level: string; message: string }[] = [];
  const fields: (LogFields | undefined)[] = [];
  const push = (level: string) => (message: string, f?: LogFields) => {
    lines.push({ level, message: formatLogLine(message, f) });
    fields.push(f);
  };
  const logger: Logger = { info: push('info'), warn: push('warn'), error: push('error') };
  return { logger, lines, fields };
}

function setup() {
  const { logger, lines } = memoryLogger();
  const emitter = new SafeEventEmitter<TestEvents>(logger);
  const errors: { error: Error; context: string }[] = [];
  return { emitter, lines, errors };
}

/** Let promise callbacks run. */
const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('SafeEventEmitter', () => {
  it('delivers the payload to listeners', () => {
    const { emitter } = setup();
    const listener = vi.fn();
    emitter.on('ping', listener);
    expect(emitter.emit('ping', { n: 1 })).toBe(true);
    expect(listener).toHaveBeenCalledWith({ n: 1 });
  });

  it('runs the next listener when one throws, and reports the throw as an error event', () => {
    const { emitter, errors, lines } = setup();
    const boom = new Error('listener broke');
    const after = vi.fn();
    emitter.on('error', (event) => errors.push(event));
    emitter.on('ping', () => {
      throw boom;
    });
    emitter.on('ping', after);
    expect(() => emitter.emit('ping', { n: 2 })).not.toThrow();
    expect(after).toHaveBeenCalledWith({ n: 2 });
    expect(errors).toEqual([{ error: boom, context: "listener of 'ping'" }]);
    expect(lines).toEqual([
      { level: 'error', message: "[Worker Pool] A listener of 'ping' threw: listener broke" },
    ]);
  });

  it('logs a throwing listener with the event and the error as fields', () => {
    const { logger, fields } = memoryLogger();
    const emitter = new SafeEventEmitter<TestEvents>(logger);
    const boom = new Error('listener broke');
    emitter.on('ping', () => {
      throw boom;
    });
    emitter.emit('ping', { n: 1 });
    expect(fields).toEqual([{ scope: 'Worker Pool', event: 'ping', err: boom }]);
  });

  it('wraps a thrown non-Error in an Error', () => {
    const { emitter, errors } = setup();
    emitter.on('error', (event) => errors.push(event));
    emitter.on('ping', () => {
      throw 'just a string';
    });
    emitter.emit('ping', { n: 0 });
    expect(errors).toHaveLength(1);
    expect(errors[0]?.error).toBeInstanceOf(Error);
    expect(errors[0]?.error.message).toBe('just a string');
  });

  it('does not throw when a listener throws and nobody listens for errors', () => {
    const { emitter, lines } = setup();
    emitter.on('ping', () => {
      throw new Error('unheard');
    });
    expect(() => emitter.emit('ping', { n: 0 })).not.toThrow();
    expect(lines.map((l) => l.message)).toEqual([
      "[Worker Pool] A listener of 'ping' threw: unheard",
    ]);
  });

  it('reports an async listener that rejects', async () => {
    const { emitter, errors, lines } = setup();
    emitter.on('error', (event) => errors.push(event));
    const rejection = new Error('async broke');
    // eslint-disable-next-line @typescript-eslint/no-misused-promises -- an async listener is what this test is about
    emitter.on('ping', async () => {
      await Promise.resolve();
      throw rejection;
    });
    emitter.emit('ping', { n: 3 });
    expect(errors).toEqual([]);
    await flush();
    expect(errors).toEqual([{ error: rejection, context: "listener of 'ping'" }]);
    expect(lines[0]?.message).toBe("[Worker Pool] A listener of 'ping' threw: async broke");
  });

  it('leaves an async listener that resolves alone', async () => {
    const { emitter, errors } = setup();
    emitter.on('error', (event) => errors.push(event));
    const listener = vi.fn(async () => 'ok');
    // eslint-disable-next-line @typescript-eslint/no-misused-promises -- an async listener is what this test is about
    emitter.on('ping', listener);
    emitter.emit('ping', { n: 1 });
    await flush();
    expect(listener).toHaveBeenCalledOnce();
    expect(errors).toEqual([]);
  });

  it('runs a once() listener once', () => {
    const { emitter } = setup();
    const listener = vi.fn();
    emitter.once('ping', listener);
    emitter.emit('ping', { n: 1 });
    emitter.emit('ping', { n: 2 });
    expect(listener).toHaveBeenCalledOnce();
    expect(listener).toHaveBeenCalledWith({ n: 1 });
    expect(emitter.listenerCount('ping')).toBe(0);
  });

  it('reports a once() listener that throws', () => {
    const { emitter, errors } = setup();
    emitter.on('error', (event) => errors.push(event));
    emitter.once('ping', () => {
      throw new Error('once broke');
    });
    emitter.emit('ping', { n: 1 });
    expect(errors.map((e) => e.error.message)).toEqual(['once broke']);
  });

  it('removes a listener with off()', () => {
    const { emitter } = setup();
    const listener = vi.fn();
    emitter.on('ping', listener);
    emitter.off('ping', listener);
    emitter.emit('ping', { n: 1 });
    expect(listener).not.toHaveBeenCalled();
    expect(emitter.listenerCount('ping')).toBe(0);
  });

  it('removes a listener with removeListener()', () => {
    const { emitter } = setup();
    const listener = vi.fn();
    emitter.addListener('ping', listener);
    emitter.removeListener('ping', listener);
    emitter.emit('ping', { n: 1 });
    expect(listener).not.toHaveBeenCalled();
  });

  it('removes a once() listener before it fires', () => {
    const { emitter } = setup();
    const listener = vi.fn();
    emitter.once('ping', listener);
    emitter.off('ping', listener);
    emitter.emit('ping', { n: 1 });
    expect(listener).not.toHaveBeenCalled();
  });

  it('removes only the listener it is given', () => {
    const { emitter } = setup();
    const keep = vi.fn();
    const drop = vi.fn();
    emitter.on('ping', keep);
    emitter.on('ping', drop);
    emitter.off('ping', drop);
    emitter.emit('ping', { n: 1 });
    expect(keep).toHaveBeenCalledOnce();
    expect(drop).not.toHaveBeenCalled();
  });

  it('removes every listener of an event with off(event)', () => {
    const { emitter } = setup();
    const a = vi.fn();
    emitter.on('ping', a);
    emitter.on('ping', vi.fn());
    emitter.off('ping');
    emitter.emit('ping', { n: 1 });
    expect(a).not.toHaveBeenCalled();
  });

  it('keeps a listener added to two events separate per event', () => {
    const { emitter } = setup();
    const listener = vi.fn();
    emitter.on('ping', listener);
    emitter.on('error', listener);
    emitter.off('error', listener);
    emitter.emit('ping', { n: 1 });
    expect(listener).toHaveBeenCalledOnce();
    expect(emitter.listenerCount('error')).toBe(0);
  });

  it('calls a listener with the context it was added with', () => {
    const { emitter } = setup();
    const context = { seen: 0 };
    emitter.on(
      'ping',
      function (this: typeof context) {
        this.seen++;
      },
      context,
    );
    emitter.emit('ping', { n: 1 });
    expect(context.seen).toBe(1);
  });

  it('only logs an error listener that throws, without looping', () => {
    const { emitter, lines } = setup();
    const errorListener = vi.fn(() => {
      throw new Error('error listener broke');
    });
    emitter.on('error', errorListener);
    emitter.on('ping', () => {
      throw new Error('first');
    });
    expect(() => emitter.emit('ping', { n: 1 })).not.toThrow();
    expect(errorListener).toHaveBeenCalledOnce();
    expect(lines.map((l) => l.message)).toEqual([
      "[Worker Pool] A listener of 'ping' threw: first",
      "[Worker Pool] A listener of 'error' threw: error listener broke",
    ]);
  });

  it('only logs an async error listener that rejects', async () => {
    const { emitter, lines } = setup();
    const errorListener = vi.fn(async () => {
      throw new Error('async error listener broke');
    });
    // eslint-disable-next-line @typescript-eslint/no-misused-promises -- an async listener is what this test is about
    emitter.on('error', errorListener);
    emitter.emit('error', { error: new Error('x'), context: 'test' });
    await flush();
    expect(errorListener).toHaveBeenCalledOnce();
    expect(lines.map((l) => l.message)).toEqual([
      "[Worker Pool] A listener of 'error' threw: async error listener broke",
    ]);
  });

  it('lets a subclass swap the logger', () => {
    class Pool extends SafeEventEmitter<TestEvents> {
      useLogger(logger: Logger) {
        this.setLogger(logger);
      }
    }
    const first = memoryLogger();
    const second = memoryLogger();
    const pool = new Pool(first.logger);
    pool.useLogger(second.logger);
    pool.on('ping', () => {
      throw new Error('x');
    });
    pool.emit('ping', { n: 1 });
    expect(first.lines).toEqual([]);
    expect(second.lines).toHaveLength(1);
  });
});
