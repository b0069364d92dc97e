import { describe, expect, it } from 'vitest';
import { dispatchSfuCall, parseSfuCall, sfuCall, type SfuHandlers, type SfuMethod } from './index.ts';

const peer = { roomId: 'room-1', peerId: 'patient' };

describe('parseSfuCall', () => {
  it('accepts a call of each method with its own params', () => {
    expect(parseSfuCall({ method: 'room.open', params: { roomId: 'room-1' } })).toEqual({
      ok: true,
      call: { method: 'room.open', params: { roomId: 'room-1' } },
    });
    expect(parseSfuCall({ method: 'transport.create', params: { ...peer, direction: 'recv' } })).toEqual({
      ok: true,
      call: { method: 'transport.create', params: { ...peer, direction: 'recv' } },
    });
  });

  it.each([
    [null, 'malformed rpc envelope'],
    ['room.open', 'malformed rpc envelope'],
    [{ method: 42, params: {} }, 'malformed rpc envelope'],
    [{ method: 'x'.repeat(65), params: {} }, 'malformed rpc envelope'],
    [{ method: 'room.explode', params: {} }, 'unknown method room.explode'],
    [{ method: '__proto__', params: {} }, 'unknown method __proto__'],
    [{ method: 'toString', params: {} }, 'unknown method toString'],
    [{ method: 'constructor', params: {} }, 'unknown method constructor'],
  ])('refuses the envelope %j: %s', (envelope, message) => {
    expect(parseSfuCall(envelope)).toEqual({ ok: false, message });
  });

  it("refuses params that are not the method's, naming the method", () => {
    const r = parseSfuCall({ method: 'transport.create', params: { ...peer, direction: 'sideways' } });
    expect(r).toMatchObject({ ok: false, message: expect.stringMatching(/^transport\.create: /) });
    expect(
      parseSfuCall({ method: 'producer.setPaused', params: { ...peer, producerId: 'p-1', paused: true } }),
    ).toEqual({ ok: false, message: 'producer.setPaused: expected a mediasoup id' });
    // Another method's params do not pass either.
    expect(parseSfuCall({ method: 'peer.close', params: { roomId: 'room-1' } })).toMatchObject({ ok: false });
    expect(parseSfuCall({ method: 'room.open', params: { roomId: '../etc' } })).toMatchObject({ ok: false });
  });
});

describe('dispatchSfuCall', () => {
  it('runs exactly the handler of the call’s method, with its params', async () => {
    const calls: Array<[SfuMethod, unknown]> = [];
    const handlers = new Proxy({} as SfuHandlers, {
      get: (_t, method: SfuMethod) => async (params: unknown) => {
        calls.push([method, params]);
        return { closed: true };
      },
    });
    const parsed = parseSfuCall({ method: 'peer.close', params: peer });
    if (!parsed.ok) throw new Error(parsed.message);
    expect(await dispatchSfuCall(handlers, parsed.call)).toEqual({ closed: true });
    expect(calls).toEqual([['peer.close', peer]]);
  });
});

describe('sfuCall', () => {
  it('builds the wire call that a node parses back unchanged', () => {
    const params = { ...peer, producerId: '0b8a5b6e-3f1c-4d2a-9e7f-1a2b3c4d5e6f', paused: true };
    const call = sfuCall('producer.setPaused', params);
    expect(call).toEqual({ method: 'producer.setPaused', params });
    expect(parseSfuCall(call)).toEqual({ ok: true, call });
  });
});
