import { describe, expect, it } from 'vitest';
import { Role } from '@visita/protocol';
import { harnessInCall, type useCaseHarness } from '../../test/support/useCaseHarness.ts';

// Billing's "media up" comes from the node's first RTP packet of a microphone, on the node hosting the call.
async function inCall() {
  const call = await harnessInCall();
  call.h.clock.advance(5_000);
  return call;
}

const ups = (h: ReturnType<typeof useCaseHarness>) =>
  h.metered.filter((e) => e.type === 'media_up').map((e) => ({ key: e.key, role: e.role, at: e.at }));

describe('MediaMetering', () => {
  it("meters a microphone's first packet on the call's node, at the node's time", async () => {
    const { h, id } = await inCall();
    const at = h.clock.now() - 40;
    const flowing = {
      nodeId: 'node-1',
      roomId: id,
      peerId: Role.PATIENT,
      producerId: 'p1',
      kind: 'audio' as const,
      at,
    };
    await h.service.mediaMetering.flowing(flowing);
    expect(ups(h)).toEqual([{ key: `${id}:patient:up:p1`, role: 'patient', at }]);
  });

  it('ignores cameras, other nodes, unknown peers and consultations not in a call', async () => {
    const { h, id } = await inCall();
    const base = {
      nodeId: 'node-1',
      roomId: id,
      peerId: Role.PATIENT,
      producerId: 'p1',
      kind: 'audio' as const,
      at: h.clock.now(),
    };
    await h.service.mediaMetering.flowing({ ...base, kind: 'video' });
    await h.service.mediaMetering.flowing({ ...base, nodeId: 'node-2' });
    await h.service.mediaMetering.flowing({ ...base, peerId: 'observer' });
    await h.service.mediaMetering.flowing({ ...base, roomId: 'c-unknown' });
    expect(ups(h)).toEqual([]);
  });

  it("keeps the node's date between the admission and now", async () => {
    const { h, id, admittedAt } = await inCall();
    const base = { nodeId: 'node-1', roomId: id, producerId: 'p1', kind: 'audio' as const };
    await h.service.mediaMetering.flowing({ ...base, peerId: Role.PATIENT, at: 0 });
    await h.service.mediaMetering.flowing({ ...base, peerId: Role.PRACTITIONER, at: h.clock.now() + 60_000 });
    expect(ups(h).map((u) => u.at)).toEqual([admittedAt, h.clock.now()]);
  });

  it('catches up, when a control connection is back, the producers that started flowing meanwhile', async () => {
    const { h, id } = await inCall();
    const at = h.clock.now() - 100;
    h.sfu.rooms.set(id, {
      roomId: id,
      peers: [
        {
          peerId: Role.PATIENT,
          transports: 1,
          consumers: 0,
          producers: [{ id: 'p1', kind: 'audio', paused: false, flowingAt: at }],
        },
        {
          peerId: Role.PRACTITIONER,
          transports: 1,
          consumers: 0,
          producers: [{ id: 'p2', kind: 'audio', paused: false, flowingAt: null }],
        },
      ],
    });
    h.sfu.emit('connected', { nodeId: 'node-2' }); // not this call's node: nothing asked
    h.sfu.emit('connected', { nodeId: 'node-1' });
    await expect.poll(() => ups(h)).toEqual([{ key: `${id}:patient:up:p1`, role: 'patient', at }]);
    expect(h.sfu.rpcs.filter((r) => r.method === 'room.get').map((r) => r.nodeId)).toEqual(['node-1']);
  });
});
