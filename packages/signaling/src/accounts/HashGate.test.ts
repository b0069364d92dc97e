import { describe, expect, it } from 'vitest';
import { ErrorCode } from '@visita/protocol';
import { HashGate } from './HashGate.ts';

/** Work that finishes when the test says so. */
function held() {
  let release!: () => void;
  const done = new Promise<void>((r) => (release = r));
  return { work: () => done, release };
}

describe('HashGate', () => {
  it('runs at most `concurrency` at once, queues up to `maxQueued`, refuses the rest at once', async () => {
    const gate = new HashGate({ concurrency: 1, maxQueued: 2, perKey: 5 });
    const first = held();
    const order: string[] = [];
    const a = gate.run('a', () => first.work().then(() => order.push('a')));
    const b = gate.run('b', async () => void order.push('b'));
    const c = gate.run('c', async () => void order.push('c'));
    expect(gate.stats).toEqual({ running: 1, queued: 2 });
    await expect(gate.run('d', async () => 'never')).rejects.toMatchObject({ code: ErrorCode.RATE_LIMITED });
    first.release();
    await Promise.all([a, b, c]);
    expect(order).toEqual(['a', 'b', 'c']);
    expect(gate.stats).toEqual({ running: 0, queued: 0 });
  });

  it('refuses a second check from a key that already has `perKey` in flight', async () => {
    const gate = new HashGate({ concurrency: 4, maxQueued: 10, perKey: 1 });
    const first = held();
    const a = gate.run('10.0.0.1', first.work);
    await expect(gate.run('10.0.0.1', async () => 'x')).rejects.toMatchObject({ code: ErrorCode.RATE_LIMITED });
    await expect(gate.run('10.0.0.2', async () => 'y')).resolves.toBe('y');
    first.release();
    await a;
    await expect(gate.run('10.0.0.1', async () => 'z')).resolves.toBe('z');
  });

  it('puts priority work first and never refuses it for a full queue', async () => {
    const gate = new HashGate({ concurrency: 1, maxQueued: 1, perKey: 5 });
    const first = held();
    const order: string[] = [];
    const a = gate.run('a', () => first.work().then(() => order.push('a')));
    const stranger = gate.run('s', async () => void order.push('stranger'));
    await expect(gate.run('t', async () => 'never')).rejects.toMatchObject({ code: ErrorCode.RATE_LIMITED });
    const owner = gate.run('owner', async () => void order.push('owner'), true);
    first.release();
    await Promise.all([a, stranger, owner]);
    expect(order).toEqual(['a', 'owner', 'stranger']);
  });

  it('frees the slot when the work throws', async () => {
    const gate = new HashGate({ concurrency: 1, maxQueued: 0, perKey: 1 });
    await expect(gate.run('a', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(gate.run('a', async () => 'ok')).resolves.toBe('ok');
  });
});
