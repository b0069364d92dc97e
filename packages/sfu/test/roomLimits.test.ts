import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode, type RtpCapabilities, type RtpParameters } from '@visita/protocol';
import { createLogger } from '../src/logger.ts';
import {
  MAX_CONSUMERS_PER_PEER,
  MAX_CONSUMERS_PER_ROOM,
  MAX_PEERS_PER_ROOM,
  MAX_PRODUCERS_PER_PEER,
  MAX_TRANSPORTS_PER_PEER,
} from '../src/Room.ts';
import { SfuNode } from '../src/SfuNode.ts';
import { WorkerPool } from '../src/WorkerPool.ts';
import { audioRtpParameters } from './fixtures.ts';

// One client must not be able to take the node's RTC ports (one or two per transport) or its
// worker's CPU: transports, producers, consumers and peers are bounded per peer and per room, and
// creations still awaiting the worker count too.

const rtc = { listenIp: '127.0.0.1', announcedAddress: undefined, minPort: 40000, maxPort: 49999 };
const log = createLogger('silent');

/** A microphone with its own mid and SSRC, so many can coexist on one transport. */
const audio = (i: number): RtpParameters => ({
  ...audioRtpParameters,
  mid: `a${i}`,
  encodings: [{ ssrc: 30_000_000 + i }],
});

/** The error code of each rejection, 'ok' for each success. */
async function outcomes(calls: Array<Promise<unknown>>): Promise<string[]> {
  const settled = await Promise.allSettled(calls);
  return settled.map((s) =>
    s.status === 'fulfilled' ? 'ok' : ((s.reason as { code?: string }).code ?? String(s.reason)),
  );
}
const count = (xs: string[], x: string) => xs.filter((y) => y === x).length;

describe('per-peer and per-room limits on an SFU node', () => {
  let pool: WorkerPool;
  let node: SfuNode;
  /** Transports alive in the worker (each holds RTC ports), whoever owns them. */
  let liveTransports = 0;
  const h = () => node.handlers;

  beforeEach(async () => {
    pool = await WorkerPool.create(1, log);
    node = new SfuNode('node-limits', pool, rtc, log);
    liveTransports = 0;
    pool.workers[0]!.observer.on('newrouter', (router) =>
      router.observer.on('newtransport', (t) => {
        liveTransports += 1;
        t.observer.once('close', () => (liveTransports -= 1));
      }),
    );
  });
  afterEach(() => {
    node.close();
    pool.close();
  });

  const peerSummary = async (roomId: string, peerId: string) =>
    (await h()['room.get']({ roomId })).peers.find((p) => p.peerId === peerId);
  const send = (roomId: string, peerId: string) => h()['transport.create']({ roomId, peerId, direction: 'send' });
  const recv = (roomId: string, peerId: string) => h()['transport.create']({ roomId, peerId, direction: 'recv' });

  it(`refuses a peer's transport past ${MAX_TRANSPORTS_PER_PEER}, and again after peer.close frees them`, async () => {
    await h()['room.open']({ roomId: 'r1' });
    for (let i = 0; i < MAX_TRANSPORTS_PER_PEER; i++) await send('r1', 'patient');
    await expect(send('r1', 'patient')).rejects.toMatchObject({ code: ErrorCode.LIMIT_EXCEEDED });
    await expect(recv('r1', 'patient')).rejects.toMatchObject({ code: ErrorCode.LIMIT_EXCEEDED });
    expect((await peerSummary('r1', 'patient'))?.transports).toBe(MAX_TRANSPORTS_PER_PEER);
    // The other participant is not affected.
    await send('r1', 'practitioner');
    // A client rebuilding its media has its old peer closed first, and starts afresh.
    expect(await h()['peer.close']({ roomId: 'r1', peerId: 'patient' })).toEqual({ closed: true });
    for (let i = 0; i < MAX_TRANSPORTS_PER_PEER; i++) await send('r1', 'patient');
    await expect(send('r1', 'patient')).rejects.toMatchObject({ code: ErrorCode.LIMIT_EXCEEDED });
  });

  it('counts transports still being created: 50 concurrent creations leave exactly the limit', async () => {
    await h()['room.open']({ roomId: 'r1' });
    const results = await outcomes(Array.from({ length: 50 }, () => send('r1', 'patient')));
    expect(count(results, 'ok')).toBe(MAX_TRANSPORTS_PER_PEER);
    expect(count(results, ErrorCode.LIMIT_EXCEEDED)).toBe(50 - MAX_TRANSPORTS_PER_PEER);
    expect((await peerSummary('r1', 'patient'))?.transports).toBe(MAX_TRANSPORTS_PER_PEER);
    expect(liveTransports).toBe(MAX_TRANSPORTS_PER_PEER);
  });

  it('closes a transport whose peer was closed while it was being created', async () => {
    await h()['room.open']({ roomId: 'r1' });
    const pending = Array.from({ length: MAX_TRANSPORTS_PER_PEER }, () => send('r1', 'patient'));
    await h()['peer.close']({ roomId: 'r1', peerId: 'patient' });
    const results = await outcomes(pending);
    expect(count(results, ErrorCode.NOT_FOUND)).toBe(MAX_TRANSPORTS_PER_PEER);
    expect(await peerSummary('r1', 'patient')).toBeUndefined();
    expect(liveTransports).toBe(0);
    // Nothing left behind: a fresh peer gets its whole allowance.
    for (let i = 0; i < MAX_TRANSPORTS_PER_PEER; i++) await send('r1', 'patient');
  });

  it(`refuses a peer's producer past ${MAX_PRODUCERS_PER_PEER}, counting those being created`, async () => {
    await h()['room.open']({ roomId: 'r1' });
    const t = await send('r1', 'patient');
    const produce = (i: number) =>
      h()['producer.create']({
        roomId: 'r1',
        peerId: 'patient',
        transportId: t.id,
        kind: 'audio',
        rtpParameters: audio(i),
      });
    const results = await outcomes(Array.from({ length: 50 }, (_, i) => produce(i)));
    expect(count(results, 'ok')).toBe(MAX_PRODUCERS_PER_PEER);
    expect(count(results, ErrorCode.LIMIT_EXCEEDED)).toBe(50 - MAX_PRODUCERS_PER_PEER);
    // One microphone per peer: the newest replaced the others, and the peer may produce again.
    expect((await peerSummary('r1', 'patient'))?.producers).toHaveLength(1);
    await produce(100);
    expect((await peerSummary('r1', 'patient'))?.producers).toHaveLength(1);
  });

  it(`refuses a peer's consumer past ${MAX_CONSUMERS_PER_PEER}, and a room's past ${MAX_CONSUMERS_PER_ROOM}`, async () => {
    const { rtpCapabilities } = await h()['room.open']({ roomId: 'r1' });
    const t = await send('r1', 'patient');
    const { producerId } = await h()['producer.create']({
      roomId: 'r1',
      peerId: 'patient',
      transportId: t.id,
      kind: 'audio',
      rtpParameters: audio(0),
    });
    const caps = rtpCapabilities as RtpCapabilities;
    const consumeAs = async (peerId: string, n: number) => {
      const r = await recv('r1', peerId);
      const consume = () =>
        h()['consumer.create']({ roomId: 'r1', peerId, transportId: r.id, producerId, rtpCapabilities: caps });
      return outcomes(Array.from({ length: n }, consume));
    };
    // The 9th, even among concurrent calls.
    const first = await consumeAs('practitioner', 50);
    expect(count(first, 'ok')).toBe(MAX_CONSUMERS_PER_PEER);
    expect(count(first, ErrorCode.LIMIT_EXCEEDED)).toBe(50 - MAX_CONSUMERS_PER_PEER);
    expect((await peerSummary('r1', 'practitioner'))?.consumers).toBe(MAX_CONSUMERS_PER_PEER);
    // Two more peers (4 in all): the room fills at 16 consumers, whoever holds them.
    const second = await consumeAs('observer-1', MAX_CONSUMERS_PER_PEER);
    expect(count(second, 'ok')).toBe(MAX_CONSUMERS_PER_ROOM - MAX_CONSUMERS_PER_PEER);
    expect(await consumeAs('observer-2', 1)).toEqual([ErrorCode.LIMIT_EXCEEDED]);
    expect(node.status().consumers).toBe(MAX_CONSUMERS_PER_ROOM);
  });

  it(`refuses a peer past ${MAX_PEERS_PER_ROOM} per room, and lookups create none`, async () => {
    await h()['room.open']({ roomId: 'r1' });
    // Calls that only look a peer up do not create one.
    await expect(h()['consumer.resume']({ roomId: 'r1', peerId: 'ghost', consumerId: 'x' })).rejects.toMatchObject({
      code: ErrorCode.NOT_FOUND,
    });
    await expect(
      h()['producer.setPaused']({ roomId: 'r1', peerId: 'ghost-2', producerId: 'x', paused: true }),
    ).rejects.toMatchObject({
      code: ErrorCode.NOT_FOUND,
    });
    expect((await h()['room.get']({ roomId: 'r1' })).peers).toEqual([]);
    const results = await outcomes(Array.from({ length: 20 }, (_, i) => send('r1', `peer-${i}`)));
    expect(count(results, 'ok')).toBe(MAX_PEERS_PER_ROOM);
    expect(count(results, ErrorCode.LIMIT_EXCEEDED)).toBe(20 - MAX_PEERS_PER_ROOM);
    expect((await h()['room.get']({ roomId: 'r1' })).peers).toHaveLength(MAX_PEERS_PER_ROOM);
    // A closed peer frees its place.
    await h()['peer.close']({ roomId: 'r1', peerId: 'peer-0' });
    await send('r1', 'peer-new');
  });

  it('leaves another room on the node untouched when one is full', async () => {
    await h()['room.open']({ roomId: 'r1' });
    await outcomes(Array.from({ length: 50 }, (_, i) => send('r1', `peer-${i % 8}`)));
    expect(liveTransports).toBe(MAX_PEERS_PER_ROOM * MAX_TRANSPORTS_PER_PEER);
    const { rtpCapabilities } = await h()['room.open']({ roomId: 'r2' });
    const s = await send('r2', 'patient');
    const r = await recv('r2', 'practitioner');
    const { producerId } = await h()['producer.create']({
      roomId: 'r2',
      peerId: 'patient',
      transportId: s.id,
      kind: 'audio',
      rtpParameters: audio(0),
    });
    const consumer = await h()['consumer.create']({
      roomId: 'r2',
      peerId: 'practitioner',
      transportId: r.id,
      producerId,
      rtpCapabilities: rtpCapabilities as RtpCapabilities,
    });
    await h()['consumer.resume']({ roomId: 'r2', peerId: 'practitioner', consumerId: consumer.id });
    expect(node.status()).toMatchObject({ rooms: 2, consumers: 1 });
  });
});
