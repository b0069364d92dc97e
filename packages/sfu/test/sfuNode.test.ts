import { once } from 'node:events';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode, type RtpCapabilities } from '@visita/protocol';
import { createLogger } from '../src/logger.ts';
import { MAX_PROBES_PER_NODE, SfuNode } from '../src/SfuNode.ts';
import { WorkerPool } from '../src/WorkerPool.ts';
import { audioRtpParameters, videoRtpParameters } from './fixtures.ts';

const rtc = { listenIp: '127.0.0.1', announcedAddress: undefined, minPort: 40000, maxPort: 49999 };
const log = createLogger('silent');

describe('SfuNode against a real mediasoup worker', () => {
  let pool: WorkerPool;
  let node: SfuNode;
  const h = () => node.handlers;

  beforeEach(async () => {
    pool = await WorkerPool.create(2, log);
    node = new SfuNode('node-test', pool, rtc, log);
  });
  afterEach(() => {
    node.close();
    pool.close();
  });

  async function routerIds(): Promise<string[]> {
    const ids: string[] = [];
    for (const w of pool.workers) ids.push(...(await w.dump()).routerIds);
    return ids;
  }

  it('opens one router per room, idempotently, even for concurrent opens', async () => {
    const [a, b] = await Promise.all([h()['room.open']({ roomId: 'r1' }), h()['room.open']({ roomId: 'r1' })]);
    expect(a.rtpCapabilities.codecs?.map((c) => c.mimeType)).toEqual(
      expect.arrayContaining(['audio/opus', 'video/VP8', 'video/H264']),
    );
    expect(a.created || b.created).toBe(true);
    expect((await h()['room.open']({ roomId: 'r1' })).created).toBe(false);
    await h()['room.open']({ roomId: 'r2' });
    expect(await routerIds()).toHaveLength(2);
    expect(node.status()).toMatchObject({ rooms: 2, workers: 2 });
    // Rooms are spread over the workers.
    const perWorker = await Promise.all(pool.workers.map(async (w) => (await w.dump()).routerIds.length));
    expect(perWorker).toEqual([1, 1]);
    // …and the node's status says so, worker by worker.
    expect(node.status().perWorker).toEqual(pool.workers.map((w) => ({ pid: w.pid, rooms: 1, consumers: 0 })));
  });

  it('creates transports, produces, consumes paused, resumes, and closes everything in cascade', async () => {
    const { rtpCapabilities } = await h()['room.open']({ roomId: 'r1' });
    const send = await h()['transport.create']({ roomId: 'r1', peerId: 'patient', direction: 'send' });
    const recv = await h()['transport.create']({ roomId: 'r1', peerId: 'practitioner', direction: 'recv' });
    expect(send.iceCandidates.map((c) => c.protocol).sort()).toEqual(['tcp', 'udp']);
    expect(send.iceCandidates.every((c) => c.address === '127.0.0.1')).toBe(true);

    const audio = await h()['producer.create']({
      roomId: 'r1',
      peerId: 'patient',
      transportId: send.id,
      kind: 'audio',
      rtpParameters: audioRtpParameters,
    });
    const video = await h()['producer.create']({
      roomId: 'r1',
      peerId: 'patient',
      transportId: send.id,
      kind: 'video',
      rtpParameters: videoRtpParameters,
    });
    const consumer = await h()['consumer.create']({
      roomId: 'r1',
      peerId: 'practitioner',
      transportId: recv.id,
      producerId: video.producerId,
      rtpCapabilities: rtpCapabilities as RtpCapabilities,
    });
    expect(consumer).toMatchObject({ producerId: video.producerId, kind: 'video' });
    const summary = await h()['room.get']({ roomId: 'r1' });
    expect(summary.peers.find((p) => p.peerId === 'patient')?.producers).toHaveLength(2);
    expect(summary.peers.find((p) => p.peerId === 'practitioner')?.consumers).toBe(1);
    expect(node.status().consumers).toBe(1);
    await h()['consumer.resume']({ roomId: 'r1', peerId: 'practitioner', consumerId: consumer.id });
    await h()['producer.setPaused']({ roomId: 'r1', peerId: 'patient', producerId: audio.producerId, paused: true });
    expect(
      (await h()['room.get']({ roomId: 'r1' })).peers[0]?.producers.find((p) => p.id === audio.producerId)?.paused,
    ).toBe(true);

    const closed = once(node, 'roomClosed');
    expect(await h()['room.close']({ roomId: 'r1' })).toEqual({ closed: true });
    expect((await closed)[0]).toEqual({ roomId: 'r1', reason: 'closed' });
    expect(await routerIds()).toEqual([]);
    // Idempotent, and the room is gone for every later call.
    expect(await h()['room.close']({ roomId: 'r1' })).toEqual({ closed: false });
    await expect(h()['room.get']({ roomId: 'r1' })).rejects.toMatchObject({ code: ErrorCode.NOT_FOUND });
  });

  it('keeps peers apart and rejects what is out of place with typed errors', async () => {
    const { rtpCapabilities } = await h()['room.open']({ roomId: 'r1' });
    const send = await h()['transport.create']({ roomId: 'r1', peerId: 'patient', direction: 'send' });
    const recv = await h()['transport.create']({ roomId: 'r1', peerId: 'practitioner', direction: 'recv' });
    // Another peer's transport.
    await expect(
      h()['producer.create']({
        roomId: 'r1',
        peerId: 'practitioner',
        transportId: send.id,
        kind: 'audio',
        rtpParameters: audioRtpParameters,
      }),
    ).rejects.toMatchObject({ code: ErrorCode.NOT_FOUND });
    // Producing on a receive transport.
    await expect(
      h()['producer.create']({
        roomId: 'r1',
        peerId: 'practitioner',
        transportId: recv.id,
        kind: 'audio',
        rtpParameters: audioRtpParameters,
      }),
    ).rejects.toMatchObject({ code: ErrorCode.BAD_REQUEST });
    const first = await h()['producer.create']({
      roomId: 'r1',
      peerId: 'patient',
      transportId: send.id,
      kind: 'audio',
      rtpParameters: audioRtpParameters,
    });
    // A second microphone (a reconnected client, on a new transport) replaces the first.
    const send2 = await h()['transport.create']({ roomId: 'r1', peerId: 'patient', direction: 'send' });
    const audio = await h()['producer.create']({
      roomId: 'r1',
      peerId: 'patient',
      transportId: send2.id,
      kind: 'audio',
      rtpParameters: audioRtpParameters,
    });
    expect(
      (await h()['room.get']({ roomId: 'r1' })).peers.find((p) => p.peerId === 'patient')?.producers.map((p) => p.id),
    ).toEqual([audio.producerId]);
    expect(audio.producerId).not.toBe(first.producerId);
    // Consuming one's own producer.
    const ownRecv = await h()['transport.create']({ roomId: 'r1', peerId: 'patient', direction: 'recv' });
    await expect(
      h()['consumer.create']({
        roomId: 'r1',
        peerId: 'patient',
        transportId: ownRecv.id,
        producerId: audio.producerId,
        rtpCapabilities: rtpCapabilities as RtpCapabilities,
      }),
    ).rejects.toMatchObject({ code: ErrorCode.NOT_FOUND });
    // A client that cannot decode opus.
    await expect(
      h()['consumer.create']({
        roomId: 'r1',
        peerId: 'practitioner',
        transportId: recv.id,
        producerId: audio.producerId,
        rtpCapabilities: { codecs: [] },
      }),
    ).rejects.toMatchObject({ code: ErrorCode.MEDIA_ERROR });
    await expect(
      h()['transport.create']({ roomId: 'nope', peerId: 'patient', direction: 'send' }),
    ).rejects.toMatchObject({
      code: ErrorCode.NOT_FOUND,
    });
  });

  it("restarts ICE on a peer's own transport only: new credentials, the transport kept", async () => {
    await h()['room.open']({ roomId: 'r1' });
    const send = await h()['transport.create']({ roomId: 'r1', peerId: 'patient', direction: 'send' });
    const { iceParameters } = await h()['transport.restartIce']({
      roomId: 'r1',
      peerId: 'patient',
      transportId: send.id,
    });
    expect(iceParameters.usernameFragment).not.toBe(send.iceParameters.usernameFragment);
    expect(iceParameters.password).not.toBe(send.iceParameters.password);
    await expect(
      h()['transport.restartIce']({ roomId: 'r1', peerId: 'practitioner', transportId: send.id }),
    ).rejects.toMatchObject({ code: ErrorCode.NOT_FOUND });
    expect((await h()['room.get']({ roomId: 'r1' })).peers).toMatchObject([{ peerId: 'patient', transports: 1 }]);
  });

  it("tells the consumer's peer when the producer's peer leaves", async () => {
    const { rtpCapabilities } = await h()['room.open']({ roomId: 'r1' });
    const send = await h()['transport.create']({ roomId: 'r1', peerId: 'patient', direction: 'send' });
    const recv = await h()['transport.create']({ roomId: 'r1', peerId: 'practitioner', direction: 'recv' });
    const audio = await h()['producer.create']({
      roomId: 'r1',
      peerId: 'patient',
      transportId: send.id,
      kind: 'audio',
      rtpParameters: audioRtpParameters,
    });
    const consumer = await h()['consumer.create']({
      roomId: 'r1',
      peerId: 'practitioner',
      transportId: recv.id,
      producerId: audio.producerId,
      rtpCapabilities: rtpCapabilities as RtpCapabilities,
    });
    const closed = once(node, 'consumerClosed');
    expect(await h()['peer.close']({ roomId: 'r1', peerId: 'patient' })).toEqual({ closed: true });
    expect((await closed)[0]).toEqual({ roomId: 'r1', peerId: 'practitioner', consumerId: consumer.id });
    expect((await h()['room.get']({ roomId: 'r1' })).peers.find((p) => p.peerId === 'practitioner')?.consumers).toBe(0);
  });

  it('keeps a network test apart from the calls: not counted as one, closed by the node after its TTL, silently', async () => {
    await h()['room.open']({ roomId: 'call' });
    const events: string[] = [];
    node.on('roomClosed', (e) => events.push(e.roomId));
    const { rtpCapabilities } = await h()['probe.open']({ roomId: 'probe-a', ttlMs: 1_000 });
    expect(rtpCapabilities.codecs?.length).toBeGreaterThan(0);
    const t = await h()['transport.create']({ roomId: 'probe-a', peerId: 'probe', direction: 'send' });
    await h()['producer.create']({
      roomId: 'probe-a',
      peerId: 'probe',
      transportId: t.id,
      kind: 'audio',
      rtpParameters: audioRtpParameters,
    });
    // The heartbeat's `rooms` (what placement reserves a call's consumers for) counts calls only.
    expect(node.status()).toMatchObject({ rooms: 1, probes: 1, transports: 1, producers: 1 });
    await expect(h()['probe.open']({ roomId: 'probe-a', ttlMs: 1_000 })).rejects.toMatchObject({
      code: ErrorCode.INVALID_STATE,
    });
    await expect(h()['probe.open']({ roomId: 'call', ttlMs: 1_000 })).rejects.toMatchObject({
      code: ErrorCode.INVALID_STATE,
    });
    const started = Date.now();
    while (node.roomIds.includes('probe-a') && Date.now() - started < 3_000)
      await new Promise((r) => setTimeout(r, 50));
    expect(Date.now() - started).toBeGreaterThanOrEqual(800);
    expect(node.roomIds).toEqual(['call']);
    expect(node.status()).toMatchObject({ rooms: 1, probes: 0, transports: 0, producers: 0 });
    expect(await routerIds()).toHaveLength(1);
    expect(events).toEqual([]); // no call was lost: signaling is not told
  });

  it('holds at most MAX_PROBES_PER_NODE network tests, and none while draining', async () => {
    const opened = await Promise.all(
      Array.from({ length: MAX_PROBES_PER_NODE }, (_, i) => h()['probe.open']({ roomId: `probe-${i}`, ttlMs: 30_000 })),
    );
    expect(opened).toHaveLength(MAX_PROBES_PER_NODE);
    await expect(h()['probe.open']({ roomId: 'probe-over', ttlMs: 30_000 })).rejects.toMatchObject({
      code: ErrorCode.NO_MEDIA_CAPACITY,
    });
    expect(node.status().probes).toBe(MAX_PROBES_PER_NODE);
    // A drain ends the tests at once (they are no calls to wait for) and refuses new ones.
    expect(await node.drain(5_000, async () => undefined, 10)).toBe('empty');
    expect(node.status().probes).toBe(0);
    await expect(h()['probe.open']({ roomId: 'probe-late', ttlMs: 30_000 })).rejects.toMatchObject({
      code: ErrorCode.NO_MEDIA_CAPACITY,
    });
  });

  it('replaces a worker killed with SIGKILL and reports its rooms as lost', async () => {
    await h()['room.open']({ roomId: 'r1' });
    await h()['room.open']({ roomId: 'r2' });
    const victim = pool.workers[0]!;
    const victimRooms = (await victim.dump()).routerIds.length;
    expect(victimRooms).toBe(1);
    const lost = once(node, 'roomClosed');
    const died = once(pool, 'workerDied');
    process.kill(victim.pid, 'SIGKILL');
    const [event] = await lost;
    expect(event.reason).toBe('worker_died');
    const [info] = await died;
    expect(info).toMatchObject({ pid: victim.pid, replaced: true });
    expect(pool.workers).toHaveLength(2);
    expect(pool.workers.map((w) => w.pid)).not.toContain(victim.pid);
    // The surviving room is untouched, the lost one is gone, and new rooms open.
    expect(node.roomIds).toHaveLength(1);
    expect(node.roomIds).not.toContain(event.roomId);
    expect((await h()['room.open']({ roomId: event.roomId })).created).toBe(true);
    expect(await routerIds()).toHaveLength(2);
  });
});
